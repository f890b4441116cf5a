// The load generator: keep-alive HTTP over loopback with one socket per virtual client, bounded runs
// (by count and by time), latency percentiles and errors by status.
import http from "node:http";

const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });

/** One request; resolves to { status, body, cookie, elapsedInMs } (a network error is status 0). */
export function send(base, method, path, { body, headers = {}, agent: requestAgent = agent } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve) => {
    const request = http.request(
      `${base}${path}`,
      {
        method,
        agent: requestAgent,
        headers: payload === undefined ? headers : { "content-type": "application/json", ...headers },
      },
      (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {}
          const setCookie = response.headers["set-cookie"]?.[0] ?? "";
          resolve({
            status: response.statusCode ?? 0,
            body: json,
            cookie: /^([^=]+=[^;]*)/.exec(setCookie)?.[1],
            elapsedInMs: performance.now() - started,
          });
        });
      },
    );
    request.on("error", (error) =>
      resolve({ status: 0, body: { error: { code: error.code } }, elapsedInMs: performance.now() - started }),
    );
    request.end(payload);
  });
}

/** Runs task(i, workerId) for i = 0..count-1, or until the deadline, with `concurrency` in flight. */
export async function runPool(
  { concurrency, count = Number.POSITIVE_INFINITY, deadline = Number.POSITIVE_INFINITY },
  task,
) {
  let next = 0;
  const worker = async (workerId) => {
    while (next < count && performance.now() < deadline) await task(next++, workerId);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const errorKey = (reply) => `${reply.status} ${reply.body?.error?.code ?? ""}`.trim();

/**
 * Times request(i, workerId) at `concurrency` for `count` requests or `seconds`, whichever ends first,
 * with the server-side readings of `instrument` (CPU, memory, event loop) around the run.
 */
export async function measure(label, options, request, isOk, instrument) {
  const latencies = [];
  const errors = {};
  const before = await instrument.start();
  const started = performance.now();
  const deadline = options.seconds ? started + options.seconds * 1000 : Number.POSITIVE_INFINITY;
  const top = options.topAfterMs === undefined ? null : instrument.snapshotAfter(options.topAfterMs);
  await runPool({ concurrency: options.concurrency, count: options.count, deadline }, async (i, workerId) => {
    const reply = await request(i, workerId);
    latencies.push(reply.elapsedInMs);
    if (!isOk(reply)) errors[errorKey(reply)] = (errors[errorKey(reply)] ?? 0) + 1;
  });
  const wallInSeconds = (performance.now() - started) / 1000;
  const usage = await instrument.stop(before, wallInSeconds);
  latencies.sort((x, y) => x - y);
  const row = {
    label,
    concurrency: options.concurrency,
    requests: latencies.length,
    seconds: wallInSeconds,
    perSecond: latencies.length / wallInSeconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errors,
    usage,
    top: top ? await top : null,
  };
  const f = (n) => n.toFixed(1);
  process.stderr.write(
    `[bench] ${label} c=${row.concurrency}: ${row.requests} in ${f(row.seconds)} s, ${f(row.perSecond)}/s, p50 ${f(row.p50)} p95 ${f(row.p95)} p99 ${f(row.p99)} ms, errors ${JSON.stringify(errors)}; server ${f(usage.serverCores * 100)}% CPU, postgres ${f(usage.postgresCores * 100)}%, load gen ${f(usage.loadGeneratorCores * 100)}%, machine ${f(usage.machineCores * 100)}%, ELD p99 ${f(usage.eventLoop?.p99 ?? Number.NaN)} ms\n`,
  );
  return row;
}
