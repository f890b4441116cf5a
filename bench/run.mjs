// Load benchmark of sign-in and second-factor verification against one API process on PostgreSQL.
// Usage: pnpm bench   (DATABASE_URL = an admin URL of the local server; default below)
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const apiDir = join(root, "apps/api");
const domainDir = join(root, "packages/domain");
const requireFromApi = createRequire(join(apiDir, "package.json"));
const postgres = requireFromApi("postgres");
const { SMTPServer } = requireFromApi("smtp-server");
const { simpleParser } = requireFromApi("mailparser");

const ADMIN_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const USERS = 512;
const SECONDS = 10;
const CONCURRENCY = [16, 64];
const PASSWORD = "correct horse battery staple";
const ENCRYPTION_KEYS = `bench:${createHash("sha256").update("cloud2fa bench key").digest("base64")}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** tsc emits despite type errors; only a missing build is fatal. */
function ensureBuilt(dir, entry) {
  if (existsSync(join(dir, entry))) return;
  log(`building ${dir}`);
  try {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: dir, stdio: "inherit" });
  } catch (error) {
    if (!existsSync(join(dir, entry))) throw error;
  }
}

async function startSmtp() {
  const tokens = new Map();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text ?? "")?.[1];
          if (token && /verify/i.test(mail.subject ?? "")) tokens.set(mail.to?.text ?? "", token);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    async tokenFor(email) {
      for (let tries = 0; tries < 200; tries++) {
        const token = tokens.get(email);
        if (token) return token;
        await sleep(25);
      }
      throw new Error(`no verification mail for ${email}`);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function startApi(env) {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: apiDir,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const port = /listening on http:\/\/localhost:(\d+)/.exec(output)?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}`, output: () => output });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    child.on("exit", (code) => reject(new Error(`API exited with ${code}:\n${output}`)));
  });
}

async function post(base, path, body, headers = {}) {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const elapsedInMs = performance.now() - started;
  const json = text ? JSON.parse(text) : null;
  const cookie = /^([^=]+=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
  return { status: response.status, body: json, cookie, elapsedInMs };
}

/** Runs `task(i)` for i = 0..count-1 (or until the deadline) with `concurrency` workers in flight. */
async function runPool(
  { concurrency, count = Number.POSITIVE_INFINITY, deadline = Number.POSITIVE_INFINITY },
  task,
) {
  let next = 0;
  const worker = async (workerId) => {
    while (next < count && performance.now() < deadline) await task(next++, workerId);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Times `request(i, workerId)`; it returns a reply, counted as ok when `isOk(reply)`. */
async function measure(label, options, request, isOk) {
  const latencies = [];
  const errors = {};
  const started = performance.now();
  const deadline = options.seconds ? started + options.seconds * 1000 : Number.POSITIVE_INFINITY;
  await runPool({ concurrency: options.concurrency, count: options.count, deadline }, async (i, workerId) => {
    const reply = await request(i, workerId);
    latencies.push(reply.elapsedInMs);
    if (!isOk(reply)) {
      const key = `${reply.status} ${reply.body?.error?.code ?? ""}`.trim();
      errors[key] = (errors[key] ?? 0) + 1;
    }
  });
  const wallInSeconds = (performance.now() - started) / 1000;
  latencies.sort((x, y) => x - y);
  const row = {
    label,
    concurrency: options.concurrency,
    requests: latencies.length,
    seconds: wallInSeconds,
    perSecond: latencies.length / wallInSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
  log(
    `${label} c=${row.concurrency}: ${row.requests} in ${row.seconds.toFixed(1)} s, ${row.perSecond.toFixed(1)}/s, p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, errors ${JSON.stringify(errors)}`,
  );
  return row;
}

// Each virtual client has its own address (TRUST_PROXY=1, as behind one load balancer): the
// per-address password budget is charged before the check, so one address cannot carry >50 in flight.
const clientHeaders = (workerId) => ({ "x-forwarded-for": `10.0.${workerId >> 8}.${workerId & 255}` });

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  ensureBuilt(domainDir, "dist/index.js");
  ensureBuilt(apiDir, "dist/main.js");
  const { generateTotpCode, totpStepAt } = await import(pathToFileURL(join(domainDir, "dist/index.js")).href);

  const databaseName = `c2f_bench_${startedAt.getTime()}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${databaseName}`);
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${databaseName}`;
  const smtp = await startSmtp();
  let api;
  try {
    api = await startApi({
      DATABASE_URL: databaseUrl.toString(),
      ENCRYPTION_KEYS,
      SMTP_URL: smtp.url,
      TRUST_PROXY: "1",
    });
    for (let tries = 0; (await fetch(`${api.url}/readyz`).catch(() => null))?.status !== 200; tries++) {
      if (tries > 100) throw new Error(`API not ready:\n${api.output()}`);
      await sleep(100);
    }
    log(`API at ${api.url}, database ${databaseName}`);
    const base = api.url;

    log(`seeding ${USERS} root users with TOTP`);
    const users = [];
    const seedStarted = performance.now();
    await runPool({ concurrency: 8, count: USERS }, async (i, workerId) => {
      const email = `bench-${i}@example.com`;
      const headers = clientHeaders(workerId);
      await post(base, "/api/auth/root/signup", { email, password: PASSWORD }, headers);
      await post(base, "/api/auth/root/verify-email", { token: await smtp.tokenFor(email) }, headers);
      const login = await post(base, "/api/auth/root/login", { email, password: PASSWORD }, headers);
      const cookie = { ...headers, cookie: login.cookie ?? "" };
      const setup = await post(
        base,
        "/api/me/two-factor/setup",
        { method: "totp", password: PASSWORD },
        cookie,
      );
      const secret = setup.body?.secret;
      const at = new Date();
      const confirm = await post(
        base,
        "/api/me/two-factor/setup/confirm",
        { code: generateTotpCode({ secret, at }) },
        cookie,
      );
      if (confirm.status !== 200) throw new Error(`seeding ${email} failed: ${JSON.stringify(confirm.body)}`);
      users[i] = { email, secret, lastStep: totpStepAt(at) };
    });
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`seeded in ${seedSeconds.toFixed(1)} s`);

    const rows = [];
    const openChallenge = (user, headers) =>
      post(base, "/api/auth/root/login", { email: user.email, password: PASSWORD }, headers);
    const isChallenge = (reply) => reply.status === 200 && reply.body?.status === "two_factor_required";

    for (const concurrency of CONCURRENCY) {
      rows.push(
        await measure(
          "sign-in (password, argon2id)",
          { concurrency, seconds: SECONDS },
          (i, workerId) => openChallenge(users[i % USERS], clientHeaders(workerId)),
          isChallenge,
        ),
      );
    }

    for (const concurrency of CONCURRENCY) {
      log(`opening ${USERS} challenges (untimed)`);
      const challenges = [];
      await runPool({ concurrency: 8, count: USERS }, async (i, workerId) => {
        const reply = await openChallenge(users[i], clientHeaders(workerId));
        if (!isChallenge(reply)) throw new Error(`login failed: ${JSON.stringify(reply.body)}`);
        challenges[i] = reply.body.challengeId;
      });
      const verify = (i, code, workerId) =>
        post(base, `/api/auth/challenges/${challenges[i]}/verify`, { code }, clientHeaders(workerId));
      rows.push(
        await measure(
          "code verification, wrong code (400 expected)",
          { concurrency, count: USERS },
          (i, workerId) => verify(i, wrongCodeFor(users[i], generateTotpCode), workerId),
          (reply) => reply.status === 400 && reply.body?.error?.code === "INVALID_CODE",
        ),
      );
      rows.push(
        await measure(
          "code verification, valid code",
          { concurrency, count: USERS },
          (i, workerId) => verify(i, validCodeFor(users[i], generateTotpCode, totpStepAt), workerId),
          (reply) => reply.status === 200 && reply.body?.status === "authenticated" && Boolean(reply.cookie),
        ),
      );
    }

    const burst = await measure(
      "sign-in, 64 at once from ONE client address",
      { concurrency: 64, count: 64 },
      (i) => openChallenge(users[i % USERS], { "x-forwarded-for": "10.9.9.9" }),
      isChallenge,
    );
    const [{ server_version: postgresVersion }] = await admin`show server_version`;
    writeReport({ startedAt, seedSeconds, rows, burst, postgresVersion, loadBefore });
  } finally {
    if (api && api.child.exitCode === null) {
      const exited = new Promise((resolve) => api.child.once("exit", resolve));
      api.child.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (api.child.exitCode === null) api.child.kill("SIGKILL");
    }
    await smtp.close();
    await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
    log(`stopped the API and dropped ${databaseName}`);
  }
}

/** A six-digit code that is not the user's code for any step near now (so it cannot match by chance). */
function wrongCodeFor(user, generateTotpCode) {
  const now = Date.now();
  const near = new Set(
    [-2, -1, 0, 1, 2].map((k) => generateTotpCode({ secret: user.secret, at: new Date(now + k * 30_000) })),
  );
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
  }
}

/** S2: a user's step is accepted once; use the current step, or the next one (T+1) if already used. */
function validCodeFor(user, generateTotpCode, totpStepAt) {
  const current = totpStepAt(new Date());
  const step = Math.max(current, user.lastStep + 1);
  if (step > current + 1) throw new Error(`${user.email} has no unused step until ${step}`);
  user.lastStep = step;
  return generateTotpCode({ secret: user.secret, at: new Date(step * 30_000 + 15_000) });
}

function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  const nproc = execFileSync("nproc").toString().trim();
  return { model, nproc, node: process.version, memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB` };
}

function writeReport({ startedAt, seedSeconds, rows, burst, postgresVersion, loadBefore }) {
  const m = machine();
  const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
  const errorText = (errors) =>
    Object.entries(errors)
      .map(([key, count]) => `${count} × ${key}`)
      .join(", ") || "0";
  const table = (list) => [
    "| measurement | concurrency | requests | wall s | requests/s | p50 ms | p99 ms | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...list.map(
      (r) =>
        `| ${r.label} | ${r.concurrency} | ${r.requests} | ${fmt(r.seconds)} | ${fmt(r.perSecond)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${errorText(r.errors)} |`,
    ),
  ];
  const lines = [
    `# cloud2fa API benchmark — ${startedAt.toISOString()}`,
    "",
    `Command: \`pnpm bench\` (\`node bench/run.mjs\`) at commit ${gitHead()}, against the build in`,
    `apps/api/dist as found (built ${statSync(join(apiDir, "dist/main.js")).mtime.toISOString()}; the script builds only if it is missing).`,
    "",
    `Machine: ${m.model}, ${m.nproc} CPUs (nproc), ${m.memory} RAM; Node ${m.node}; PostgreSQL ${postgresVersion} (same host).`,
    "The load generator, the API (one process) and PostgreSQL share these CPUs; loopback HTTP only.",
    `Load average (1 min) before the run ${fmt(loadBefore[0] ?? 0, 2)}, after it ${fmt(os.loadavg()[0] ?? 0, 2)}:`,
    "other work on the host skews the figures; compare runs on a quiet machine.",
    "",
    "Setup: a fresh database, one API process (`node apps/api/dist/main.js`, SMTP to an in-process",
    `server, \`TRUST_PROXY=1\`), ${USERS} root users with TOTP enabled (seeded in ${fmt(seedSeconds)} s through the API).`,
    "Each virtual client sends its own `X-Forwarded-For` address, as clients behind a load balancer.",
    "",
    `- **sign-in**: \`POST /api/auth/root/login\` with the right password (answers with a TOTP challenge), ${SECONDS} s per level, users in turn.`,
    `- **code verification**: ${USERS} challenges are opened first (untimed); then one wrong code per challenge`,
    "  (timed, 400 `INVALID_CODE` is the expected answer), then one valid code per challenge (timed, 200 + session",
    "  cookie). Each user's TOTP step is used once (S2), so the valid-code run is bounded by the number of users.",
    "",
    ...table(rows),
    "",
    "## One client address, 64 sign-ins at once",
    "",
    ...table([burst]),
    "",
    ...(Object.keys(burst.errors).length > 0
      ? [
          "The per-address password budget (50 failures per 15 minutes, S3) is charged before the password is",
          "checked and refunded after a success, so attempts *in flight* count as failures: beyond 50 concurrent",
          "sign-ins from one address (a NAT, an office proxy) some are answered 429 although every password is right.",
        ]
      : ["No sign-in was refused: the per-address budget did not count attempts in flight as failures."]),
    "",
  ];
  const dir = join(root, "bench/results");
  mkdirSync(dir, { recursive: true });
  const text = lines.join("\n");
  writeFileSync(join(dir, `${startedAt.toISOString().slice(0, 10)}.md`), text);
  writeFileSync(join(dir, "latest.md"), text);
  log(`wrote bench/results/${startedAt.toISOString().slice(0, 10)}.md and bench/results/latest.md`);
}

function gitHead() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root }).toString().trim();
  } catch {
    return "unknown";
  }
}

await main();
