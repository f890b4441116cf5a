import { defineConfig } from "vitest/config";

// One server, one browser, journeys in order: each builds on the accounts the previous one made.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
