// Load benchmark of one API process on PostgreSQL: (a) code verification alone, (b) a full sign-in with
// TOTP, (c) GET /api/me, at concurrency 16 and 64, beside pgbench's single-row-update ceiling.
// Usage: pnpm bench            (DATABASE_URL = an admin URL of the local server; default below)
//        pnpm bench --soak     (five minutes of /api/me + code verification; RSS sampled every 10 s)
//        pnpm bench --quick    (for tuning: valid-code verification and /api/me at concurrency 64 only,
//                               beside one pgbench run; prints the figures, writes no report)
//        pnpm bench --introspect (§8.2: POST /api/introspect beside GET /api/me at concurrency 64)
//        pnpm bench --audit-queries (issue 18: the audit trail's queries on a million events, before and
//                               after migration 0012, under EXPLAIN ANALYZE)
//        pnpm bench --instances=3 (HAProxy → 1, 2, 3 API processes → PgBouncer → PostgreSQL; a list: =1,3)
//        pnpm bench --password-burst [--api-root=<checkout>]
//                              (issue 13: waves of 200 wrong sign-ins from one address beside real users'
//                               sign-ins; --api-root measures another checkout's API, e.g. main's)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import os, { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { auditQueriesReport, runAuditQueries } from "./lib/audit-queries.mjs";
import { measure, send } from "./lib/http-load.mjs";
import { instanceCountsOf, runInstancesBench, writeInstancesReport } from "./lib/instances.mjs";
import { createInstrument, sampleEventLoop } from "./lib/instrument.mjs";
import { introspectEnv, measureIntrospection, writeIntrospectReport } from "./lib/introspect.mjs";
import { runPasswordBurst, writePasswordBurstReport } from "./lib/password-burst.mjs";
import { prepareCeilingTable, runPgbench } from "./lib/pgbench.mjs";
import { writeFiles, writeReport, writeSoakReport } from "./lib/report.mjs";
import { cloneUsers, openChallenges, seedThroughApi } from "./lib/seed.mjs";
import { startApi, startSmtp } from "./lib/server.mjs";
import { runSoak } from "./lib/soak.mjs";
import { nextStepFor, totpCode, wrongCodeFor } from "./lib/totp.mjs";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// The checkout whose API is built and measured: this one, or --api-root=<path> (a checkout of main, to
// measure before a change with the bench of after it).
const apiRootOption = process.argv.find((arg) => arg.startsWith("--api-root="))?.slice("--api-root=".length);
const apiRoot = apiRootOption ? resolve(apiRootOption) : root;
const apiDir = join(apiRoot, "apps/api");
const postgres = createRequire(join(apiDir, "package.json"))("postgres");

const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const isSoak = process.argv.includes("--soak");
const isQuick = process.argv.includes("--quick");
const isPasswordBurst = process.argv.includes("--password-burst");
const isIntrospect = process.argv.includes("--introspect");
const isAuditQueries = process.argv.includes("--audit-queries");
const instancesArgument = process.argv.find((arg) => arg.startsWith("--instances="));
const instanceCounts = instancesArgument ? instanceCountsOf(instancesArgument) : null;
const PLAN = {
  concurrency: isQuick || isIntrospect ? [64] : [16, 64],
  apiUsers: 4,
  verifyUsersPerLevel: isIntrospect ? 1000 : 6000,
  verifyMaxSeconds: 20,
  signInUsersPerLevel: 2000,
  signInSeconds: 10,
  meSeconds: 10,
};
const PASSWORD = "correct horse battery staple";
const KEY = { id: "bench", key: createHash("sha256").update("cloud2fa bench key").digest() };
const log = (message) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const perRequestMs = (row, reading) => ((row.usage[reading] / row.requests) * 1e3).toFixed(2);

// Each virtual client has its own address (TRUST_PROXY=1, as behind one load balancer), so the
// per-address password budget (S3) does not throttle the load generator.
const clientHeaders = (workerId) => ({ "x-forwarded-for": `10.0.${workerId >> 8}.${workerId & 255}` });

/** Always rebuilds, so a stale dist is never measured; tsc emits despite type errors (noted in the report). */
function build(dir) {
  try {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "pipe" });
    return "ok";
  } catch (error) {
    const output = `${error.stdout ?? ""}`.split("\n").filter(Boolean);
    log(
      `tsc in ${dir} reported ${output.length} lines of errors (it emits regardless):\n${output.slice(0, 5).join("\n")}`,
    );
    return `type errors (emitted anyway): ${output[0] ?? error.message}`;
  }
}

const git = (...args) => {
  try {
    return execFileSync("git", args, { cwd: apiRoot }).toString().trim();
  } catch {
    return "unknown";
  }
};

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const commit = git("rev-parse", "--short", "HEAD");
  const dirty = git("status", "--porcelain", "--", "apps/api", "packages/domain");
  log("building packages/domain and apps/api");
  const builds = { domain: build(join(apiRoot, "packages/domain")), api: build(apiDir) };
  if (isAuditQueries) {
    const result = await runAuditQueries({ postgres, adminUrl: ADMIN_URL, apiDir, log });
    writeFiles(root, startedAt, "-audit-queries", [auditQueriesReport({ startedAt, commit, dirty, result })]);
    return;
  }

  const databaseName = `c2f_bench_${startedAt.getTime()}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${databaseName}`;
  const smtp = await startSmtp(apiDir);
  let api;
  let sql;
  const cleanUp = async () => {
    await api?.stop();
    await smtp.close();
    await sql?.end({ timeout: 5 });
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: pnpm bench is not a turbo task; nothing is cached.
    const keep = Boolean(process.env.BENCH_KEEP_DB);
    if (!keep) await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
    log(`stopped the API and ${keep ? "kept" : "dropped"} ${databaseName}`);
  };
  process.once("SIGINT", () => void cleanUp().finally(() => process.exit(130)));
  try {
    // pgbench's 64 connections share max_connections with others' tests: run it while the API holds none.
    const ceilings = [];
    if (!isSoak && !isPasswordBurst && !instanceCounts) {
      const setupSql = postgres(databaseUrl.toString(), { max: 1, onnotice: () => {} });
      await prepareCeilingTable(setupSql);
      await setupSql.end();
      ceilings.push(await runPgbench(databaseUrl.toString()));
      log(`pgbench ceiling: ${ceilings[0].tps.toFixed(0)} tps`);
    }
    const eventLoopFile = join(mkdtempSync(join(tmpdir(), "c2f-bench-")), "event-loop.json");
    api = await startApi({
      apiDir,
      probePath: join(root, "bench/event-loop-probe.cjs"),
      env: {
        DATABASE_URL: databaseUrl.toString(),
        ENCRYPTION_KEYS: `${KEY.id}:${KEY.key.toString("base64")}`,
        SMTP_URL: smtp.url,
        TRUST_PROXY: "1",
        BENCH_EVENT_LOOP_FILE: eventLoopFile,
        ...(isIntrospect ? introspectEnv : {}),
      },
    });
    const base = api.url;
    const pid = api.child.pid;
    sql = postgres(databaseUrl.toString(), { max: 2, onnotice: () => {} });
    log(`API at ${base} (pid ${pid}), database ${databaseName}`);
    const instrument = createInstrument({ pid, eventLoopFile, admin, databaseName });

    const seedStarted = performance.now();
    const seeded = await seedThroughApi({
      base,
      smtp,
      key: KEY,
      sql,
      password: PASSWORD,
      count: PLAN.apiUsers,
      clientHeaders,
    });
    const clone = (prefix, count) =>
      cloneUsers({ sql, key: KEY, templateUserId: seeded.templateUserId, prefix, count });

    if (instanceCounts) {
      await api.stop();
      const [{ server_version: postgresVersion }] = await admin`show server_version`;
      const rows = await runInstancesBench({
        counts: instanceCounts,
        apiDir,
        root,
        adminUrl: ADMIN_URL,
        databaseUrl: databaseUrl.toString(),
        databaseName,
        env: {
          ENCRYPTION_KEYS: `${KEY.id}:${KEY.key.toString("base64")}`,
          SMTP_URL: smtp.url,
          TRUST_PROXY: "1",
        },
        sql,
        key: KEY,
        templateUserId: seeded.templateUserId,
        admin,
        log,
      });
      const command = `pnpm bench ${instancesArgument}`;
      const info = { root, startedAt, loadBefore, commit, dirty, builds, command, postgresVersion, rows };
      writeInstancesReport({ ...info, cores: os.availableParallelism() });
      return;
    }
    if (isPasswordBurst) {
      log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s; the burst`);
      const result = await runPasswordBurst({ base, sql, users: seeded.users, password: PASSWORD, log });
      const [{ server_version: postgresVersion }] = await admin`show server_version`;
      const command = `pnpm bench --password-burst${apiRootOption ? ` --api-root=${apiRootOption}` : ""}`;
      writePasswordBurstReport({
        root,
        startedAt,
        loadBefore,
        commit,
        dirty,
        builds,
        command,
        postgresVersion,
        result,
      });
      return;
    }
    if (isSoak) {
      const users = await clone("soak", 3000);
      log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s; soaking for 5 minutes`);
      const soak = await runSoak({ base, pid, eventLoopFile, sql, users, clientHeaders });
      await writeSoakReport({ root, startedAt, loadBefore, commit, dirty, builds, soak, admin });
      return;
    }

    const verifyUsers = {};
    const signInUsers = {};
    for (const c of PLAN.concurrency) {
      verifyUsers[c] = await clone(`verify-${c}`, PLAN.verifyUsersPerLevel);
      signInUsers[c] = isQuick || isIntrospect ? [] : await clone(`sign-in-${c}`, PLAN.signInUsersPerLevel);
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(
      `seeded ${PLAN.apiUsers} users through the API and ${Object.values(verifyUsers).flat().length + Object.values(signInUsers).flat().length} in SQL in ${seedSeconds.toFixed(1)} s`,
    );

    await sampleEventLoop(pid, eventLoopFile);
    await sleep(3000);
    const idleEventLoop = await sampleEventLoop(pid, eventLoopFile);

    const rows = [];
    const cookies = [];
    const isAuthenticated = (reply) =>
      reply.status === 200 && reply.body?.status === "authenticated" && Boolean(reply.cookie);
    const validCode = (user) => {
      const step = nextStepFor(user);
      if (step === null) throw new Error(`${user.email} has no unused step`);
      user.lastStep = step;
      return totpCode(user.secretBytes, step);
    };
    for (const c of PLAN.concurrency) {
      const users = verifyUsers[c];
      const challenges = await openChallenges(sql, users);
      const wrongCodes = users.map((user) => wrongCodeFor(user));
      const verify = (i, code, workerId) =>
        send(base, "POST", `/api/auth/challenges/${challenges[i]}/verify`, {
          body: { code },
          headers: clientHeaders(workerId),
        });
      const bounds = {
        concurrency: c,
        count: users.length,
        seconds: PLAN.verifyMaxSeconds,
        topAfterMs: 1500,
      };
      if (!isQuick && !isIntrospect) {
        rows.push(
          await measure(
            "(a) code verification, wrong code (400 expected)",
            bounds,
            (i, workerId) => verify(i, wrongCodes[i], workerId),
            (reply) => reply.status === 400 && reply.body?.error?.code === "INVALID_CODE",
            instrument,
          ),
        );
      }
      rows.push(
        await measure(
          "(a) code verification, valid code",
          bounds,
          async (i, workerId) => {
            const reply = await verify(i, validCode(users[i]), workerId);
            if (reply.cookie) cookies.push(reply.cookie);
            return reply;
          },
          isAuthenticated,
          instrument,
        ),
      );
    }
    for (const c of isQuick || isIntrospect ? [] : PLAN.concurrency) {
      const users = signInUsers[c];
      rows.push(
        await measure(
          "(b) full sign-in: password → challenge → code",
          { concurrency: c, count: users.length, seconds: PLAN.signInSeconds, topAfterMs: 5000 },
          async (i, workerId) => {
            const headers = clientHeaders(workerId);
            const user = users[i];
            const login = await send(base, "POST", "/api/auth/root/login", {
              body: { email: user.email, password: PASSWORD },
              headers,
            });
            if (login.status !== 200 || login.body?.status !== "two_factor_required") return login;
            const reply = await send(base, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
              body: { code: validCode(user) },
              headers,
            });
            return { ...reply, elapsedInMs: login.elapsedInMs + reply.elapsedInMs };
          },
          isAuthenticated,
          instrument,
        ),
      );
    }
    for (const c of PLAN.concurrency) {
      rows.push(
        await measure(
          "(c) GET /api/me with a session cookie",
          { concurrency: c, seconds: PLAN.meSeconds, topAfterMs: 5000 },
          (i, workerId) =>
            send(base, "GET", "/api/me", {
              headers: { ...clientHeaders(workerId), cookie: cookies[i % cookies.length] },
            }),
          (reply) => reply.status === 200 && typeof reply.body?.id === "string",
          instrument,
        ),
      );
    }
    if (isIntrospect) {
      for (const c of PLAN.concurrency) {
        rows.push(
          ...(await measureIntrospection({
            base,
            cookies,
            concurrency: c,
            seconds: PLAN.meSeconds,
            clientHeaders,
            instrument,
          })),
        );
      }
      const [{ server_version: postgresVersion }] = await admin`show server_version`;
      writeIntrospectReport({ root, startedAt, loadBefore, commit, dirty, builds, postgresVersion, rows });
      return;
    }
    if (isQuick) {
      const [a] = rows;
      log(
        `quick: ${a.perSecond.toFixed(0)}/s = ${((100 * a.perSecond) / ceilings[0].tps).toFixed(1)}% of ${ceilings[0].tps.toFixed(0)} tps; p99 ${a.p99.toFixed(1)} ms; CPU per verification: API ${perRequestMs(a, "serverCpuSeconds")}, PostgreSQL ${perRequestMs(a, "postgresCpuSeconds")}, load gen ${perRequestMs(a, "loadGeneratorCpuSeconds")} ms`,
      );
      return;
    }
    await api.stop();
    await sql.end({ timeout: 5 });
    sql = null;
    ceilings.push(await runPgbench(databaseUrl.toString()));
    log(`pgbench ceiling after the runs: ${ceilings[1].tps.toFixed(0)} tps`);
    const [{ server_version: postgresVersion }] = await admin`show server_version`;
    writeReport({
      root,
      startedAt,
      loadBefore,
      commit,
      dirty,
      builds,
      seedSeconds,
      rows,
      ceilings,
      idleEventLoop,
      postgresVersion,
      plan: PLAN,
      // --previous=<file in bench/results>: the report to compare with (default: latest.md, the last one).
      previousReport: process.argv.find((arg) => arg.startsWith("--previous="))?.slice("--previous=".length),
    });
  } finally {
    await cleanUp();
  }
}

await main();
