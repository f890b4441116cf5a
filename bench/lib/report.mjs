// The markdown reports: bench/results/<date>-<time>.md and latest.md (soak: …-soak.md, latest-soak.md).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { PGBENCH_SCRIPT } from "./pgbench.mjs";

const TARGET_RATIO = 0.15;
const TARGET_P99_IN_MS = 50;
const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const pct = (cores) => `${fmt(cores * 100, 0)}%`;
const errorText = (errors) =>
  Object.entries(errors)
    .map(([key, count]) => `${count} × ${key}`)
    .join(", ") || "0";

function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const nproc = execFileSync("nproc").toString().trim();
  return { model, nproc, node: process.version, memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB` };
}

export function header({ title, startedAt, loadBefore, commit, dirty, builds, command, postgresVersion }) {
  const m = machine();
  const loadAfter = os.loadavg();
  const load = (l) => l.map((x) => fmt(x, 2)).join(" / ");
  return [
    `# ${title} — ${startedAt.toISOString()}`,
    "",
    `Command: \`${command}\` at commit \`${commit}\`${dirty ? " with uncommitted changes in the working tree (others edit concurrently):" : " (clean working tree)."}`,
    ...(dirty ? ["", "```", dirty, "```"] : []),
    "",
    `Build: rebuilt before the run (\`tsc -p tsconfig.build.json\`): packages/domain ${builds.domain}; apps/api ${builds.api}.`,
    "",
    `Machine: ${m.model}, **${m.nproc} CPUs** (nproc), ${m.memory} RAM; Node ${m.node}; PostgreSQL ${postgresVersion} (the machine's shared server, same host).`,
    `Load average (1/5/15 min) before the run ${load(loadBefore)}, after it ${load(loadAfter)}.`,
    "The load generator (one Node process), the API (one process) and PostgreSQL share these CPUs; loopback HTTP only.",
  ];
}

export function writeFiles(root, startedAt, suffix, lines) {
  const dir = join(root, "bench/results");
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().slice(0, 16).replace("T", "-").replace(":", "");
  const text = `${lines.join("\n")}\n`;
  writeFileSync(join(dir, `${stamp}${suffix}.md`), text);
  writeFileSync(join(dir, `latest${suffix}.md`), text);
  process.stderr.write(
    `[bench] wrote bench/results/${stamp}${suffix}.md and bench/results/latest${suffix}.md\n`,
  );
}

/**
 * What acceptance 2 asks of one verification, against what this run's verifications cost: the CPU a
 * request may use at 15% of the ceiling, and the rates PostgreSQL's share alone (on every core) and the
 * API's share alone (one process, one core) would allow.
 */
function boundsOf(row, ceiling, cores) {
  const u = row.usage;
  const perRequest = (seconds) => (seconds / row.requests) * 1e3;
  const api = perRequest(u.serverCpuSeconds);
  const pg = perRequest(u.postgresCpuSeconds);
  const loadGen = perRequest(u.loadGeneratorCpuSeconds);
  const target = ceiling * TARGET_RATIO;
  const pgBound = (cores * 1e3) / pg;
  const apiBound = 1e3 / api;
  return [
    `What 15% would take: ${fmt(target, 0)} verifications/s on ${cores} cores leave **${fmt((cores * 1e3) / target, 2)} ms of CPU per`,
    `verification** for the API, PostgreSQL and the load generator together; this run spent ${fmt(api + pg + loadGen, 2)} ms.`,
    `PostgreSQL's share alone (${fmt(pg, 2)} ms) would cap`,
    `the rate at ${fmt(pgBound, 0)}/s = **${fmt((pgBound / ceiling) * 100)}% of the ceiling** with every core its own and the API free;`,
    `the API's share alone (${fmt(api, 2)} ms on its one event loop) at ${fmt(apiBound, 0)}/s. At concurrency 64 a p99 under`,
    `50 ms needs, by Little's law, well over 64 / 0.05 s = 1,280 verifications/s.`,
  ];
}

/** Issue 18: the CPU a verification costs the API and PostgreSQL together, against 1.0 ms, per run. */
const CPU_PER_VERIFICATION_TARGET_IN_MS = 1.0;

function cpuPerVerificationLines(rows) {
  const verifications = rows.filter((r) => r.label.startsWith("(a)"));
  return [
    "## CPU per verification, API + PostgreSQL (issue 18: at most 1.0 ms)",
    "",
    "| measurement | conc. | requests/s | p50 / p95 / p99 ms | API ms | PostgreSQL ms | together ms | |",
    "| --- | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ...verifications.map((r) => {
      const api = (r.usage.serverCpuSeconds / r.requests) * 1e3;
      const pg = (r.usage.postgresCpuSeconds / r.requests) * 1e3;
      const verdict = api + pg <= CPU_PER_VERIFICATION_TARGET_IN_MS ? "meets" : "**misses**";
      return `| ${r.label} | ${r.concurrency} | ${fmt(r.perSecond)} | ${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.p99)} | ${fmt(api, 2)} | ${fmt(pg, 2)} | **${fmt(api + pg, 2)}** | ${verdict} |`;
    }),
  ];
}

/** The report this one replaces as latest.md (its title, command and results), to be read beside it. */
function previousReportLines(root, previous) {
  const path = join(root, "bench/results", previous ?? "latest.md");
  if (!existsSync(path)) return [];
  const text = readFileSync(path, "utf8").split("\n");
  const title = text.find((line) => line.startsWith("# "))?.slice(2) ?? "";
  const command = text.find((line) => line.startsWith("Command:")) ?? "";
  // The rows of its "## Results" table only.
  const start = text.indexOf("## Results");
  const end = text.findIndex((line, index) => index > start && line.startsWith("## "));
  const results =
    start < 0
      ? []
      : text.slice(start, end < 0 ? undefined : end).filter((line) => /^\| \([abc]\) /.test(line));
  const perRequest = text.find((line) => line.includes("Per request: API")) ?? "";
  const perRequestNext = text[text.indexOf(perRequest) + 1] ?? "";
  return [
    "## The previous report, for comparison",
    "",
    `${title}. ${command}`,
    "",
    "| measurement | conc. | requests | wall s | requests/s | p50 ms | p95 ms | p99 ms | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...results,
    "",
    `Its (a) valid code at concurrency 64: ${`${perRequest} ${perRequestNext}`.replace(/^.*Per request: /, "").trim()}`,
  ];
}

export function writeReport(input) {
  const { rows, ceilings, idleEventLoop, plan, seedSeconds } = input;
  const ceiling = Math.max(...ceilings.map((c) => c.tps));
  const verify64 = rows.find((r) => r.label.includes("valid code") && r.concurrency === 64);
  const ratio = verify64 ? verify64.perSecond / ceiling : Number.NaN;
  const meetsRatio = ratio >= TARGET_RATIO;
  const meetsP99 = verify64 ? verify64.p99 < TARGET_P99_IN_MS : false;
  const u = verify64?.usage;
  const lines = [
    ...header({ ...input, title: "cloud2fa API benchmark", command: "pnpm bench" }),
    "",
    "## Verdict (issue 6, acceptance 2)",
    "",
    `- Database ceiling (pgbench, single-row update per transaction): ${ceilings.map((c) => `${fmt(c.tps, 0)} tps`).join(" before the HTTP runs, ")} after them; the higher, **${fmt(ceiling, 0)} tps**, is the ceiling used.`,
    `- (a) code verification with a valid code at concurrency 64: **${fmt(verify64?.perSecond)} requests/s = ${fmt(ratio * 100)}% of the ceiling** — ${meetsRatio ? "**reaches** 15%" : "**misses** 15%"} (15% = ${fmt(ceiling * TARGET_RATIO, 0)}/s).`,
    `- Its p99 is **${fmt(verify64?.p99)} ms** — ${meetsP99 ? "**under** 50 ms" : "**not under** 50 ms"}.`,
    "",
    ...cpuPerVerificationLines(rows),
    "",
    "## Results",
    "",
    "| measurement | conc. | requests | wall s | requests/s | p50 ms | p95 ms | p99 ms | errors (unexpected answers, by status) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.concurrency} | ${r.requests} | ${fmt(r.seconds)} | **${fmt(r.perSecond)}** | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.p99)} | ${errorText(r.errors)} |`,
    ),
    "",
    "## Where the CPU went, per run",
    "",
    "CPU in seconds over the run and in cores (CPU seconds / wall seconds; the machine has",
    `${machine().nproc}). *API* = the server process (all threads: argon2 runs on libuv's pool), from /proc/<pid>/stat;`,
    "*PG (bench db)* = the PostgreSQL backends connected to the bench database (those the API's pool opens during",
    "a run count whole); *PG (all)* = every postgres",
    "process alive when the run started (background writers, other databases' long-lived backends); *load gen* =",
    "this benchmark process; *other* = the rest of the machine (other users of the host, including short-lived",
    "PostgreSQL backends of others' tests). Peak RSS is VmHWM of the",
    "API process, reset before each run. Event-loop delay from `bench/event-loop-probe.cjs`",
    `(\`monitorEventLoopDelay\`, 5 ms resolution; idle baseline p50 ${fmt(idleEventLoop?.p50)} / p99 ${fmt(idleEventLoop?.p99)} / max ${fmt(idleEventLoop?.max)} ms).`,
    "",
    "| measurement | conc. | API CPU s (cores) | PG bench db CPU s (cores) | PG all | load gen CPU s (cores) | machine busy | other | API peak RSS MiB | event-loop delay p50 / p99 / max ms |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((r) => {
      const s = r.usage;
      const e = s.eventLoop;
      return `| ${r.label} | ${r.concurrency} | ${fmt(s.serverCpuSeconds, 2)} (${fmt(s.serverCores, 2)}) | ${fmt(s.postgresCpuSeconds, 2)} (${fmt(s.postgresCores, 2)}) | ${fmt(s.postgresAllCores, 2)} | ${fmt(s.loadGeneratorCpuSeconds, 2)} (${fmt(s.loadGeneratorCores, 2)}) | ${fmt(s.machineCores, 2)} | ${fmt(s.otherCores, 2)} | ${fmt(s.peakRssInMiB, 0)} | ${e ? `${fmt(e.p50)} / ${fmt(e.p99)} / ${fmt(e.max)}` : "–"} |`;
    }),
    "",
    "## Where the time goes in (a) at concurrency 64",
    "",
    ...(u
      ? [
          `During the valid-code run the machine was busy ${fmt(u.machineCores, 2)} of ${machine().nproc} cores: the API process ${pct(u.serverCores)} of a core,`,
          `the bench database's PostgreSQL backends ${pct(u.postgresCores)} (all postgres processes ${pct(u.postgresAllCores)}), the load generator ${pct(u.loadGeneratorCores)},`,
          `and other processes on the host ${pct(u.otherCores)}. Per request: API ${fmt((u.serverCpuSeconds / verify64.requests) * 1e3, 2)} ms CPU,`,
          `PostgreSQL ${fmt((u.postgresCpuSeconds / verify64.requests) * 1e3, 2)} ms CPU, load generator ${fmt((u.loadGeneratorCpuSeconds / verify64.requests) * 1e3, 2)} ms CPU.`,
          "",
          ...boundsOf(verify64, ceiling, Number(machine().nproc)),
          "",
          u.machineCores > Number(machine().nproc) * 0.9
            ? "The CPUs were saturated: throughput is bounded by the sum of those per-request costs on two shared cores."
            : `The CPUs were ${fmt((u.machineCores / Number(machine().nproc)) * 100, 0)}% busy on average over the run.`,
          u.loadGeneratorCores > 0.5
            ? `The load generator competes for CPU: it used ${pct(u.loadGeneratorCores)} of a core on the same machine, CPU the API and PostgreSQL could otherwise use.`
            : "The load generator used little CPU.",
          "",
          "`top -b -n1`, 1.5 s into the run:",
          "",
          "```",
          verify64.top ?? "",
          "```",
        ]
      : []),
    "",
    "## What each run does",
    "",
    `Setup: a fresh database \`c2f_bench_<time>\` on the local server (dropped at the end), one API process`,
    "(`node --require bench/event-loop-probe.cjs apps/api/dist/main.js`, SMTP to an in-process sink,",
    "`TRUST_PROXY=1`; each virtual client sends its own `X-Forwarded-For`, as behind a load balancer). Users",
    `(seeded in ${fmt(seedSeconds)} s): ${plan.apiUsers} root users through the API (sign-up, email verification, TOTP setup and`,
    "confirmation), then thousands of root users copied in SQL from one of them (same password hash), each with",
    "its own 20-byte TOTP secret sealed by the bench with the API's algorithm (AES-256-GCM, user id as associated",
    "data; checked against the API's own ciphertext first). Keep-alive HTTP/1.1 (node:http Agent, one socket per",
    "virtual client).",
    "",
    `- **(a) code verification**: per level, ${plan.verifyUsersPerLevel} fresh users; for each, the sign-in challenge row a password`,
    "  sign-in writes is inserted in SQL beforehand (untimed; the password step is measured in (b)). Timed: one",
    "  wrong code per challenge (400 `INVALID_CODE` expected; it costs 1 of the 5 attempts), then one valid code",
    `  per challenge for the current step (200 + session cookie). Bounded by ${plan.verifyUsersPerLevel} requests or ${plan.verifyMaxSeconds} s.`,
    `- **(b) full sign-in**: \`POST /api/auth/root/login\` (argon2id) → challenge → \`POST …/verify\` with a valid code, timed`,
    `  end to end (both requests), ${plan.signInSeconds} s or ${plan.signInUsersPerLevel} sign-ins per level, each user once.`,
    `- **(c) \`GET /api/me\`** with the session cookies (a) created, in turn, ${plan.meSeconds} s per level.`,
    `- **pgbench**: \`${ceilings[0].command}\` on a ${"10,000"}-row table in the bench database, before and after the HTTP runs:`,
    "",
    "```",
    PGBENCH_SCRIPT.trim(),
    "```",
    "",
    "Other work on the host skews the figures (see the load average and the *other* column); compare runs on a quiet machine.",
    "",
    ...previousReportLines(input.root, input.previousReport),
  ];
  writeFiles(input.root, input.startedAt, "", lines);
}

export async function writeSoakReport(input) {
  const { soak } = input;
  const [{ server_version: postgresVersion }] = await input.admin`show server_version`;
  const lines = [
    ...header({ ...input, postgresVersion, title: "cloud2fa API soak", command: "pnpm bench --soak" }),
    "",
    `Five minutes of load on one API process: ${soak.meConcurrency} clients on \`GET /api/me\` and ${soak.verifyConcurrency} on code verification`,
    `(fresh SQL-inserted challenges for ${soak.users} TOTP users, paced at ${fmt(soak.verifyRate, 0)}/s so each user verifies once per 30 s step).`,
    "RSS (VmRSS of the API process) sampled every 10 s; heap and event-loop delay from the preloaded probe.",
    "",
    `**Verdict: resident memory ${soak.isFlat ? "stays flat" : "grows"}** — first minute mean ${fmt(soak.firstMinuteInMiB)} MiB, last minute mean ${fmt(soak.lastMinuteInMiB)} MiB (${soak.growth >= 0 ? "+" : ""}${fmt(soak.growth * 100)}%; flat = within ±10%).`,
    "",
    `Totals: ${soak.meRequests} \`/api/me\` (${errorText(soak.meErrors)} errors), ${soak.verifyRequests} verifications (${errorText(soak.verifyErrors)} errors).`,
    "",
    "| t s | RSS MiB | heap used MiB | /api/me per s | verify per s | event-loop delay p99 / max ms |",
    "| ---: | ---: | ---: | ---: | ---: | --- |",
    ...soak.samples.map(
      (s) =>
        `| ${fmt(s.t, 0)} | ${fmt(s.rssInMiB)} | ${fmt(s.heapInMiB)} | ${fmt(s.mePerSecond)} | ${fmt(s.verifyPerSecond)} | ${fmt(s.eventLoopP99)} / ${fmt(s.eventLoopMax)} |`,
    ),
  ];
  writeFiles(input.root, input.startedAt, "-soak", lines);
}
