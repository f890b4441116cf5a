import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Test names show whole decisions (e.g. `{ ok: false, reason: 'FORBIDDEN' }`), not `{ ok: false, …(1) }`.
    chaiConfig: { truncateThreshold: 0 },
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      exclude: ["src/**/*.test.ts", "src/index.ts"],
      thresholds: { lines: 95, branches: 95, functions: 95, statements: 95 },
    },
  },
});
