import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const apiOrigin = "http://localhost:3000";

// Dev: `pnpm dev` here with the API on :3000; the proxy presents the API's own origin (S5 CSRF check).
export default defineConfig({
  plugins: [solid()],
  server: {
    port: 5173,
    proxy: { "/api": { target: apiOrigin, headers: { origin: apiOrigin } } },
  },
  build: { target: "es2022" },
});
