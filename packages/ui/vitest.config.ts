import solid from "vite-plugin-solid";
import { defineConfig } from "vitest/config";

// Component tests mount the Solid components in happy-dom; the plugin compiles JSX for the DOM build of Solid.
export default defineConfig({
  plugins: [solid()],
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
