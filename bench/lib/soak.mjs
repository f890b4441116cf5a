// pnpm bench --soak: five minutes of GET /api/me plus paced code verifications; the API's RSS every 10 s.
import { errorKey, send } from "./http-load.mjs";
import { sampleEventLoop } from "./instrument.mjs";
import { memoryOf } from "./proc-stats.mjs";
import { openChallenges } from "./seed.mjs";
import { nextStepFor, totpCode } from "./totp.mjs";

const DURATION_IN_MS = 5 * 60_000;
const SAMPLE_EVERY_IN_MS = 10_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSoak({ base, pid, eventLoopFile, sql, users, clientHeaders }) {
  const meConcurrency = 16;
  const verifyConcurrency = 16;
  const verifyRate = users.length / 32; // each user once per 30 s step, with some slack
  const cookies = [];
  const counts = { me: 0, verify: 0 };
  const meErrors = {};
  const verifyErrors = {};
  let queue = [];
  let refilling = null;
  const nextChallenge = async () => {
    while (queue.length === 0) {
      refilling ??= openChallenges(sql, users).then((ids) => {
        queue = ids.map((id, i) => ({ id, user: users[i] }));
        refilling = null;
      });
      await refilling;
    }
    return queue.shift();
  };
  const verifyOnce = async (workerId) => {
    const { id, user } = await nextChallenge();
    let step = nextStepFor(user);
    while (step === null) {
      await sleep(500);
      step = nextStepFor(user);
    }
    user.lastStep = step;
    const reply = await send(base, "POST", `/api/auth/challenges/${id}/verify`, {
      body: { code: totpCode(user.secretBytes, step) },
      headers: clientHeaders(workerId),
    });
    counts.verify += 1;
    if (reply.status === 200 && reply.cookie) cookies.push(reply.cookie);
    else verifyErrors[errorKey(reply)] = (verifyErrors[errorKey(reply)] ?? 0) + 1;
  };
  for (let i = 0; i < 64; i++) await verifyOnce(0); // sessions for the /api/me clients

  const started = performance.now();
  const deadline = started + DURATION_IN_MS;
  let paced = 0;
  const verifyWorker = async (workerId) => {
    while (performance.now() < deadline) {
      const due = started + (paced++ * 1000) / verifyRate;
      if (due > performance.now()) await sleep(due - performance.now());
      if (performance.now() >= deadline) break;
      await verifyOnce(workerId);
    }
  };
  const meWorker = async (workerId) => {
    let i = workerId;
    while (performance.now() < deadline) {
      const reply = await send(base, "GET", "/api/me", {
        headers: { ...clientHeaders(workerId), cookie: cookies[i++ % cookies.length] },
      });
      counts.me += 1;
      if (reply.status !== 200) meErrors[errorKey(reply)] = (meErrors[errorKey(reply)] ?? 0) + 1;
    }
  };
  const samples = [];
  const sampler = async () => {
    let last = { ...counts };
    await sampleEventLoop(pid, eventLoopFile);
    for (let t = SAMPLE_EVERY_IN_MS; t <= DURATION_IN_MS; t += SAMPLE_EVERY_IN_MS) {
      await sleep(started + t - performance.now());
      const probe = await sampleEventLoop(pid, eventLoopFile);
      const seconds = SAMPLE_EVERY_IN_MS / 1000;
      samples.push({
        t: t / 1000,
        rssInMiB: memoryOf(pid).rssInMiB,
        heapInMiB: (probe?.heapUsedInBytes ?? Number.NaN) / 2 ** 20,
        mePerSecond: (counts.me - last.me) / seconds,
        verifyPerSecond: (counts.verify - last.verify) / seconds,
        eventLoopP99: probe?.p99,
        eventLoopMax: probe?.max,
      });
      process.stderr.write(`[bench] soak t=${t / 1000}s RSS ${samples.at(-1).rssInMiB.toFixed(1)} MiB\n`);
      last = { ...counts };
    }
  };
  await Promise.all([
    sampler(),
    ...Array.from({ length: verifyConcurrency }, (_, id) => verifyWorker(id)),
    ...Array.from({ length: meConcurrency }, (_, id) => meWorker(verifyConcurrency + id)),
  ]);
  const mean = (list) => list.reduce((sum, s) => sum + s.rssInMiB, 0) / list.length;
  const firstMinuteInMiB = mean(samples.filter((s) => s.t <= 60));
  const lastMinuteInMiB = mean(samples.filter((s) => s.t > DURATION_IN_MS / 1000 - 60));
  const growth = lastMinuteInMiB / firstMinuteInMiB - 1;
  return {
    users: users.length,
    meConcurrency,
    verifyConcurrency,
    verifyRate,
    meRequests: counts.me,
    verifyRequests: counts.verify,
    meErrors,
    verifyErrors,
    samples,
    firstMinuteInMiB,
    lastMinuteInMiB,
    growth,
    isFlat: Math.abs(growth) <= 0.1,
  };
}
