import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

// PGlite always; PostgreSQL too when DATABASE_URL is set (each test file makes its own database there).
const databases = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
// Needs PostgreSQL: several API processes share one database; faults runs its own private cluster.
const postgresOnly = [
  "src/multi-instance.test.ts",
  "src/many-instances.test.ts",
  "src/faults.test.ts",
  "src/shutdown.test.ts",
  "src/concurrent-writes.test.ts",
];

export default defineConfig({
  test: {
    // The files wait on PostgreSQL, argon2's thread pool and SMTP much of the time: one worker more
    // than the cores keeps them busy (2 cores: 408 s for both databases, against 690 s with two).
    maxWorkers: availableParallelism() + 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: databases.map((name) => ({
      extends: true,
      test: {
        name,
        include: ["src/**/*.test.ts"],
        exclude: name === "postgres" ? configDefaults.exclude : [...configDefaults.exclude, ...postgresOnly],
        env: { TEST_DATABASE: name },
      },
    })),
  },
});
