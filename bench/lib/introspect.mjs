// §8.2 under load: POST /api/introspect beside GET /api/me at the same concurrency (pnpm bench --introspect).
import { measure, send } from "./http-load.mjs";
import { header, writeFiles } from "./report.mjs";

/** A configured credential (SERVICE_CREDENTIALS, every account) for the run; its limit set out of reach. */
export const BENCH_SERVICE_SECRET = "bench-internal-service-secret-0123456789abcdef";
export const introspectEnv = {
  SERVICE_CREDENTIALS: `bench:${BENCH_SERVICE_SECRET}`,
  INTROSPECTION_RATE_LIMIT: "100000000",
};

const tokenOf = (cookie) => cookie.slice(cookie.indexOf("=") + 1);

/**
 * (d) the configured credential over every session the run opened; (e) a team credential (a row of
 * service_credentials, created with the first session, its last use kept) over that team's session.
 */
export async function measureIntrospection({
  base,
  cookies,
  concurrency,
  seconds,
  clientHeaders,
  instrument,
}) {
  const isActive = (reply) => reply.status === 200 && reply.body?.active === true;
  const introspect = (secret, token, workerId) =>
    send(base, "POST", "/api/introspect", {
      body: { token },
      headers: { ...clientHeaders(workerId), authorization: `Bearer ${secret}` },
    });
  const rows = [];
  rows.push(
    await measure(
      "(d) POST /api/introspect, configured credential",
      { concurrency, seconds, topAfterMs: 5000 },
      (i, workerId) => introspect(BENCH_SERVICE_SECRET, tokenOf(cookies[i % cookies.length]), workerId),
      isActive,
      instrument,
    ),
  );
  const [first] = cookies;
  const created = await send(base, "POST", "/api/team/service-credentials", {
    body: { name: "bench" },
    headers: { ...clientHeaders(0), cookie: first },
  });
  if (created.status !== 201) throw new Error(`no team credential: ${JSON.stringify(created.body)}`);
  rows.push(
    await measure(
      "(e) POST /api/introspect, team credential",
      { concurrency, seconds, topAfterMs: 5000 },
      (_i, workerId) => introspect(created.body.secret, tokenOf(first), workerId),
      isActive,
      instrument,
    ),
  );
  return rows;
}

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const perRequestMs = (row, reading) => fmt((row.usage[reading] / row.requests) * 1e3, 2);
const errorText = (errors) =>
  Object.entries(errors)
    .map(([key, count]) => `${count} × ${key}`)
    .join(", ") || "0";

export function writeIntrospectReport({
  root,
  startedAt,
  loadBefore,
  commit,
  dirty,
  builds,
  postgresVersion,
  rows,
}) {
  const lines = [
    ...header({
      title: "cloud2fa introspection benchmark",
      startedAt,
      loadBefore,
      commit,
      dirty,
      builds,
      command: "pnpm bench --introspect",
      postgresVersion,
    }),
    "",
    "| request | concurrency | requests | requests/s | p50 ms | p95 ms | p99 ms | errors | API CPU ms/req | PostgreSQL CPU ms/req |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| ${row.label} | ${row.concurrency} | ${row.requests} | ${fmt(row.perSecond, 0)} | ${fmt(row.p50)} | ${fmt(row.p95)} | ${fmt(row.p99)} | ${errorText(row.errors)} | ${perRequestMs(row, "serverCpuSeconds")} | ${perRequestMs(row, "postgresCpuSeconds")} |`,
    ),
    "",
    "(c) is one prepared session look-up (and a last-seen write at most once a minute per session).",
    "(d) adds the per-credential windowed counter (one guarded upsert on `password_throttles`, the",
    "rows of services/limits/) and answers from the same look-up (resolveSession); the credential",
    "itself is configured (SERVICE_CREDENTIALS), so it costs no read. (e) adds the credential's row",
    "(one select by its hash; its last use written at most once a minute). Every request of one",
    "credential charges one counter row: at concurrency 64 they queue on that row's lock, which is",
    "what the counter costs beyond its statement.",
  ];
  writeFiles(root, startedAt, "-introspect", lines);
}
