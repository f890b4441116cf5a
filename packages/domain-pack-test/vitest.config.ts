import { defineConfig } from "vitest/config";

// Packing, an offline npm install and three TypeScript runs: minutes on a loaded 2-core machine, not seconds.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
