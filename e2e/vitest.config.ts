import { defineConfig } from "vitest/config";

// Each file starts its own server, SMTP server and browser; its journeys run concurrently, each with its own
// accounts, since most of their time is spent waiting for a new TOTP time step or the resend cooldown.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 3,
    fileParallelism: true,
  },
});
