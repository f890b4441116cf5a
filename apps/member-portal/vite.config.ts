import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const apiOrigin = "http://localhost:3000";

// Served by the API under /member/; in dev `pnpm dev` here with the API on :3000 (proxy as the console's).
export default defineConfig({
  base: "/member/",
  plugins: [solid()],
  server: {
    port: 5174,
    proxy: { "/api": { target: apiOrigin, headers: { origin: apiOrigin } } },
  },
  build: { target: "es2022" },
});
