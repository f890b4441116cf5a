// `pnpm bench --instances=N`: HAProxy → N API processes → PgBouncer (transaction pooling) → PostgreSQL,
// for each N asked, beside one API straight on PostgreSQL with named prepared statements on and off.
// Code verification (valid code) and GET /api/me at concurrency 64 and 16, with the CPU of each part.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startHaproxy, startPgBouncer } from "../../apps/api/scripts/topology.mjs";
import { measure, send } from "./http-load.mjs";
import { machineBusySeconds, sumCpuSeconds } from "./proc-stats.mjs";
import { header, writeFiles } from "./report.mjs";
import { cloneUsers, openChallenges } from "./seed.mjs";
import { startApi } from "./server.mjs";
import { nextStepFor, totpCode } from "./totp.mjs";

const CONCURRENCY = [64, 16];
const USERS_PER_RUN = 6000;
const VERIFY_SECONDS = 10;
const ME_SECONDS = 10;

/** `--instances=3` measures 1, 2 and 3 processes; `--instances=1,3` exactly those. */
export function instanceCountsOf(argument) {
  const value = argument.slice("--instances=".length);
  const counts = value.includes(",")
    ? value.split(",").map(Number)
    : Array.from({ length: Number(value) }, (_, i) => i + 1);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) {
    throw new Error(`--instances=${value}: expected a count (1–8) or a comma-separated list of counts`);
  }
  return counts;
}

/** CPU seconds of every part: HAProxy, the API processes summed, PgBouncer, the database's backends, this process. */
function createPartsInstrument({ parts, admin, databaseName }) {
  const backendPids = async () =>
    (await admin`select pid from pg_stat_activity where datname = ${databaseName}`).map((row) => row.pid);
  const read = (pids) => sumCpuSeconds(pids.filter(Boolean));
  return {
    async start() {
      const backends = await backendPids();
      return {
        backends,
        api: read(parts.apiPids),
        proxy: read([parts.proxyPid]),
        pooler: read([parts.poolerPid]),
        postgres: read(backends),
        self: process.cpuUsage(),
        machine: machineBusySeconds(),
      };
    },
    async stop(before, wallInSeconds) {
      const self = process.cpuUsage(before.self);
      // Backends opened during the run count whole: all their CPU was spent in it.
      const opened = (await backendPids()).filter((pid) => !before.backends.includes(pid));
      const seconds = {
        api: read(parts.apiPids) - before.api,
        proxy: read([parts.proxyPid]) - before.proxy,
        pooler: read([parts.poolerPid]) - before.pooler,
        postgres: read(before.backends) - before.postgres + read(opened),
        loadGenerator: (self.user + self.system) / 1e6,
        machine: machineBusySeconds() - before.machine,
      };
      const cores = (value) => value / wallInSeconds;
      return {
        seconds,
        // The names http-load.mjs's progress line prints.
        serverCores: cores(seconds.api),
        postgresCores: cores(seconds.postgres),
        loadGeneratorCores: cores(seconds.loadGenerator),
        machineCores: cores(seconds.machine),
      };
    },
    snapshotAfter: async () => null,
  };
}

async function stopAll(stops) {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
}

/**
 * One topology: `count` API processes, straight on PostgreSQL (`proxied: false`, one process) or
 * behind HAProxy and on PgBouncer; measured rows, each with its CPU per part.
 */
async function measureTopology(context, topology) {
  const { apiDir, root, env, sql, key, templateUserId, admin, databaseName, pgBouncer, log } = context;
  const stops = [];
  const probeDir = mkdtempSync(join(tmpdir(), "c2f-bench-instances-"));
  stops.push(async () => rmSync(probeDir, { recursive: true, force: true }));
  try {
    const apis = [];
    for (let i = 0; i < topology.count; i++) {
      const api = await startApi({
        apiDir,
        probePath: join(root, "bench/event-loop-probe.cjs"),
        env: {
          ...env,
          ...topology.env,
          BENCH_EVENT_LOOP_FILE: join(probeDir, `event-loop-${i}.json`),
        },
      });
      apis.push(api);
      stops.push(() => api.stop());
    }
    let base = apis[0].url;
    let proxyPid = 0;
    if (topology.proxied) {
      const port = await freePort();
      const haproxy = await startHaproxy({ port, apiUrls: apis.map((api) => api.url) });
      stops.push(() => haproxy.stop());
      base = haproxy.url;
      proxyPid = haproxy.pid;
    }
    const instrument = createPartsInstrument({
      parts: {
        apiPids: apis.map((api) => api.child.pid),
        proxyPid,
        poolerPid: topology.proxied ? pgBouncer.pid : 0,
      },
      admin,
      databaseName,
    });
    log(`${topology.label}: ${base}`);
    const rows = [];
    const cookies = [];
    for (const concurrency of CONCURRENCY) {
      const users = await cloneUsers({
        sql,
        key,
        templateUserId,
        prefix: `${topology.id}-${concurrency}`,
        count: USERS_PER_RUN,
      });
      const challenges = await openChallenges(sql, users);
      const clientHeaders = (workerId) => ({ "x-forwarded-for": `10.1.${workerId >> 8}.${workerId & 255}` });
      rows.push(
        await measure(
          "code verification, valid code",
          { concurrency, count: users.length, seconds: VERIFY_SECONDS },
          async (i, workerId) => {
            const user = users[i];
            const step = nextStepFor(user);
            if (step === null) throw new Error(`${user.email} has no unused step`);
            user.lastStep = step;
            const reply = await send(base, "POST", `/api/auth/challenges/${challenges[i]}/verify`, {
              body: { code: totpCode(user.secretBytes, step) },
              headers: clientHeaders(workerId),
            });
            if (reply.cookie) cookies.push(reply.cookie);
            return reply;
          },
          (reply) => reply.status === 200 && reply.body?.status === "authenticated" && Boolean(reply.cookie),
          instrument,
        ),
      );
      rows.push(
        await measure(
          "GET /api/me",
          { concurrency, seconds: ME_SECONDS },
          (i, workerId) =>
            send(base, "GET", "/api/me", {
              headers: { ...clientHeaders(workerId), cookie: cookies[i % cookies.length] },
            }),
          (reply) => reply.status === 200 && typeof reply.body?.id === "string",
          instrument,
        ),
      );
    }
    return rows.map((row) => ({ ...row, topology }));
  } finally {
    await stopAll(stops);
  }
}

/** Runs every topology on one database (users seeded once, in `context`) and writes the report. */
export async function runInstancesBench({ counts, ...context }) {
  const pgBouncer = await startPgBouncer({ postgresUrl: context.adminUrl });
  try {
    const direct = (prepare) => ({
      id: `direct-${prepare}`,
      label: `1 API → PostgreSQL, DATABASE_PREPARE=${prepare}`,
      count: 1,
      proxied: false,
      env: { DATABASE_URL: context.databaseUrl, DATABASE_PREPARE: String(prepare) },
    });
    const topologies = [
      direct(true),
      direct(false),
      ...counts.map((count) => ({
        id: `proxied-${count}`,
        label: `HAProxy → ${count} API → PgBouncer → PostgreSQL`,
        count,
        proxied: true,
        // DATABASE_PREPARE unset: ?pgbouncer=true turns named statements off.
        env: { DATABASE_URL: pgBouncer.urlOf(context.databaseName) },
      })),
    ];
    const rows = [];
    for (const topology of topologies) {
      rows.push(...(await measureTopology({ ...context, pgBouncer }, topology)));
    }
    return rows;
  } finally {
    await pgBouncer.stop();
  }
}

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const errorText = (errors) =>
  Object.entries(errors)
    .map(([key, count]) => `${count} × ${key}`)
    .join(", ") || "0";
const msPer = (row, part) => (row.usage.seconds[part] / row.requests) * 1e3;

/** Requests/s that `cores` would allow if only these parts' CPU per request counted. */
const boundOf = (row, parts, cores) => (cores * 1e3) / parts.reduce((sum, part) => sum + msPer(row, part), 0);

export function writeInstancesReport({
  root,
  startedAt,
  loadBefore,
  commit,
  dirty,
  builds,
  command,
  postgresVersion,
  rows,
  cores,
}) {
  const table = [
    "| topology | request | conc. | requests | requests/s | p50 ms | p95 ms | p99 ms | errors | HAProxy | API (sum) | PgBouncer | PostgreSQL | load gen | machine |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| ${row.topology.label} | ${row.label} | ${row.concurrency} | ${row.requests} | **${fmt(row.perSecond, 0)}** | ${fmt(row.p50)} | ${fmt(row.p95)} | ${fmt(row.p99)} | ${errorText(row.errors)} | ${["proxy", "api", "pooler", "postgres", "loadGenerator", "machine"].map((part) => fmt(msPer(row, part), 2)).join(" | ")} |`,
    ),
  ];
  const at64 = (label, id) =>
    rows.find((row) => row.concurrency === 64 && row.label === label && row.topology.id === id);
  const growth = (label) => {
    const proxied = rows.filter(
      (row) => row.concurrency === 64 && row.label === label && row.topology.proxied,
    );
    const first = proxied[0];
    return proxied.map(
      (row) =>
        `${row.topology.count} API: ${fmt(row.perSecond, 0)}/s (×${fmt(row.perSecond / first.perSecond, 2)} of ${first.topology.count})`,
    );
  };
  const bounds = (label) =>
    rows
      .filter((row) => row.concurrency === 64 && row.label === label && row.topology.proxied)
      .map((row) => {
        const front = ["proxy", "api", "pooler"];
        return `| ${row.topology.count} | ${fmt(row.perSecond, 0)} | ${fmt(
          front.reduce((sum, part) => sum + msPer(row, part), 0),
          2,
        )} | **${fmt(boundOf(row, front, cores), 0)}** | ${fmt(msPer(row, "postgres"), 2)} | **${fmt(boundOf(row, ["postgres"], cores), 0)}** |`;
      });
  const prepared = (label) => {
    const on = at64(label, "direct-true");
    const off = at64(label, "direct-false");
    if (!on || !off) return "–";
    return `${fmt(on.perSecond, 0)}/s with named prepared statements, ${fmt(off.perSecond, 0)}/s without (${fmt((100 * (off.perSecond - on.perSecond)) / on.perSecond, 0)}%); PostgreSQL ${fmt(msPer(on, "postgres"), 2)} against ${fmt(msPer(off, "postgres"), 2)} ms of CPU per request, the API ${fmt(msPer(on, "api"), 2)} against ${fmt(msPer(off, "api"), 2)} ms`;
  };
  const lines = [
    ...header({
      title: "cloud2fa scale-out benchmark",
      startedAt,
      loadBefore,
      commit,
      dirty,
      builds,
      command,
      postgresVersion,
    }),
    "",
    "Topologies: one API process straight on PostgreSQL with `DATABASE_PREPARE=true` and `=false`; then",
    "HAProxy → N API processes → PgBouncer (transaction pooling, `?pgbouncer=true`, so no named prepared",
    "statements) → PostgreSQL, with the configs of docs/scale-out.md. Every part runs on this machine's",
    `${cores} CPUs beside the load generator (one Node process, keep-alive, closed loop of *conc.* clients).`,
    `Each row: up to ${USERS_PER_RUN} verifications (fresh users and challenges) or ${ME_SECONDS} s of GET /api/me,`,
    "on the sessions the verifications opened.",
    "",
    "Several API processes run here, not one as the line above says: *API (sum)* below is all of them.",
    "",
    "## Results",
    "",
    "CPU columns: milliseconds of CPU per request (utime + stime from /proc over the run, divided by the",
    "requests). *API (sum)* = all API processes; *PostgreSQL* = the backends of the bench database",
    "(PgBouncer's server connections when proxied); *machine* = all busy CPU of the host (others' work included).",
    "",
    ...table,
    "",
    "## How the rate grows with N here",
    "",
    `- Code verification at concurrency 64: ${growth("code verification, valid code").join("; ")}.`,
    `- GET /api/me at concurrency 64: ${growth("GET /api/me").join("; ")}.`,
    "",
    `All parts share ${cores} CPUs: more API processes add no CPU, so the rate cannot grow by much; what`,
    "it shows is what each hop costs, and that the results (exactly-once races, the lock) hold across",
    "processes (apps/api/src/topology.test.ts).",
    "",
    "## What it would be with PostgreSQL on its own cores",
    "",
    `From the CPU per request at concurrency 64: *front* = HAProxy + API processes + PgBouncer. The first bound is the rate ${cores} cores`,
    `would carry with only the front on them (PostgreSQL and the load generator elsewhere); the second, the rate ${cores} cores`,
    "of PostgreSQL's own would carry with only its backends' CPU. The lower of the two bounds the topology.",
    "",
    "Code verification (valid code):",
    "",
    "| N | measured /s | front CPU ms/req | front bound /s | PostgreSQL CPU ms/req | PostgreSQL bound /s |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...bounds("code verification, valid code"),
    "",
    "GET /api/me:",
    "",
    "| N | measured /s | front CPU ms/req | front bound /s | PostgreSQL CPU ms/req | PostgreSQL bound /s |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...bounds("GET /api/me"),
    "",
    "## DATABASE_PREPARE, measured both ways (one API straight on PostgreSQL, concurrency 64)",
    "",
    `- Code verification: ${prepared("code verification, valid code")}.`,
    `- GET /api/me: ${prepared("GET /api/me")}.`,
  ];
  writeFiles(root, startedAt, "-instances", lines);
}
