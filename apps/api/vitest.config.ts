import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";

// PGlite always; PostgreSQL too when DATABASE_URL is set (each test file makes its own database there).
const databases = process.env.DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];
// Needs PostgreSQL: several API processes share one database; faults runs its own private cluster;
// topology starts HAProxy and PgBouncer too.
const postgresOnly = [
  "src/multi-instance.test.ts",
  "src/many-instances.test.ts",
  "src/faults.test.ts",
  "src/shutdown.test.ts",
  "src/concurrent-writes.test.ts",
  "src/topology.test.ts",
];

// Files that replace a module with vi.mock run in a fresh module graph of their own; every other file
// shares its worker's modules with the files before it (`isolate: false`): the app, drizzle and
// PGlite are imported once a worker instead of once a file, which was about a third of the suite's
// CPU time. Nothing a test depends on lives in module state between files.
const mocking = ["src/sign-in.races.test.ts"];

export default defineConfig({
  test: {
    // The files wait on PostgreSQL, argon2's thread pool and SMTP much of the time: one worker more
    // than the cores keeps them busy (2 cores: 408 s for both databases, against 690 s with two).
    maxWorkers: availableParallelism() + 1,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: databases.flatMap((name) => {
      const excluded =
        name === "postgres" ? configDefaults.exclude : [...configDefaults.exclude, ...postgresOnly];
      const env = { TEST_DATABASE: name };
      return [
        {
          extends: true,
          test: {
            name,
            include: ["src/**/*.test.ts"],
            exclude: [...excluded, ...mocking],
            isolate: false,
            env,
          },
        },
        { extends: true, test: { name: `${name}-mocking`, include: mocking, env } },
      ];
    }),
  },
});
