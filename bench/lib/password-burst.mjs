// Issue 13: a burst of wrong sign-ins from one client address, beside real users signing in from their
// own addresses. Every 401 INVALID_CREDENTIALS is one argon2 check (S6: an unknown email costs the same
// check as a wrong password), so the 401s count the password checks the burst got.
import http from "node:http";
import { errorKey, percentile, send } from "./http-load.mjs";
import { header, writeFiles } from "./report.mjs";

export const BURST_PLAN = {
  /** Sign-ins sent at once in each wave (issue 13's test: 200; the review sent 150 and 600). */
  burstSize: 200,
  /** Waves follow each other, each once the previous one is answered, for at least this long. */
  windowSeconds: 10,
  /** What is still unanswered this long after the burst began is counted as unanswered. */
  deadlineSeconds: 60,
  /** The real users' sign-ins alone, before the burst. */
  quietSeconds: 5,
  attackerAddress: "198.51.100.7",
};

const UNANSWERED = "UNANSWERED_AT_DEADLINE";
const realUserAddress = (i) => `10.9.0.${i + 1}`;

function tally(replies) {
  const counts = {};
  for (const reply of replies) counts[errorKey(reply)] = (counts[errorKey(reply)] ?? 0) + 1;
  return counts;
}

function summary(samples) {
  const latencies = samples.map((sample) => sample.elapsedInMs).sort((x, y) => x - y);
  return {
    count: latencies.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    answers: tally(samples),
  };
}

/** `request()`, or at `deadline` an "unanswered" reply timed from its start to the deadline. */
function beforeDeadline(deadline, request) {
  const startedAt = performance.now();
  return Promise.race([
    request(),
    deadline.then(() => ({
      status: 0,
      body: { error: { code: UNANSWERED } },
      elapsedInMs: performance.now() - startedAt,
    })),
  ]);
}

/** Each real user signs in again and again, one sign-in at a time, from its own address. */
async function signInUntil({ base, user, password, address, isDone, deadline }) {
  const samples = [];
  while (!isDone()) {
    const reply = await beforeDeadline(deadline, () =>
      send(base, "POST", "/api/auth/root/login", {
        body: { email: user.email, password },
        headers: { "x-forwarded-for": address },
      }),
    );
    samples.push(reply);
    if (reply.body?.error?.code === UNANSWERED) break;
  }
  return samples;
}

async function realUsersDuring(input, run) {
  let isDone = false;
  const loops = input.users.map((user, i) =>
    signInUntil({ ...input, user, address: realUserAddress(i), isDone: () => isDone }),
  );
  const result = await run();
  isDone = true;
  return { result, samples: (await Promise.all(loops)).flat() };
}

/**
 * Quiet: the real users alone. Burst: waves of `burstSize` sign-ins at once from one address with
 * unknown emails, for `windowSeconds` (at least one wave), the real users signing in meanwhile;
 * whatever is unanswered `deadlineSeconds` after the burst began is counted so, and the phase ends.
 */
export async function runPasswordBurst({ base, sql, users, password, log, plan = BURST_PLAN }) {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const never = new Promise(() => {});
  const quiet = await realUsersDuring({ base, users, password, deadline: never }, () =>
    sleep(plan.quietSeconds * 1000),
  );
  log(`quiet: ${JSON.stringify(summary(quiet.samples))}`);

  // The attacker's own connections, opened before the burst: each wave is sent at once over them.
  const agent = new http.Agent({
    keepAlive: true,
    maxSockets: plan.burstSize,
    maxFreeSockets: plan.burstSize,
  });
  for (let opened = 0; opened < plan.burstSize; opened += 50) {
    await Promise.all(Array.from({ length: 50 }, () => send(base, "GET", "/healthz", { agent })));
  }
  let sent = 0;
  const started = performance.now();
  let deadlineTimer;
  const deadline = new Promise((resolve) => {
    deadlineTimer = setTimeout(resolve, plan.deadlineSeconds * 1000);
  });
  let isPastDeadline = false;
  void deadline.then(() => {
    isPastDeadline = true;
  });
  const burst = await realUsersDuring({ base, users, password, deadline }, async () => {
    const waves = [];
    while (
      !isPastDeadline &&
      (waves.length === 0 || performance.now() - started < plan.windowSeconds * 1000)
    ) {
      const waveStarted = performance.now();
      const replies = await Promise.all(
        Array.from({ length: plan.burstSize }, () =>
          beforeDeadline(deadline, () =>
            send(base, "POST", "/api/auth/root/login", {
              body: { email: `burst-${sent++}@example.net`, password: "not the password" },
              headers: { "x-forwarded-for": plan.attackerAddress },
              agent,
            }),
          ),
        ),
      );
      waves.push({ seconds: (performance.now() - waveStarted) / 1000, answers: tally(replies) });
    }
    return waves;
  });
  clearTimeout(deadlineTimer);
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  const answers = {};
  for (const wave of burst.result) {
    for (const [key, count] of Object.entries(wave.answers)) answers[key] = (answers[key] ?? 0) + count;
  }
  const [row] =
    await sql`select count from password_throttles where key = ${`address:${plan.attackerAddress}`}`;
  const result = {
    plan,
    realUsers: users.length,
    quiet: summary(quiet.samples),
    burst: {
      waves: burst.result,
      requests: sent,
      seconds,
      answers,
      passwordChecks: answers["401 INVALID_CREDENTIALS"] ?? 0,
      addressCount: row?.count ?? 0,
    },
    during: summary(burst.samples),
  };
  log(
    `burst: ${JSON.stringify(result.burst.answers)} in ${seconds.toFixed(1)} s; real users during it: ${JSON.stringify(result.during)}`,
  );
  return result;
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const answerText = (answers) =>
  Object.entries(answers)
    .sort(([, a], [, b]) => b - a)
    .map(([key, count]) => `${count} × ${key}`)
    .join(", ");

/** The report's own section: the burst's answers and the real users' sign-in times, quiet and during it. */
export function passwordBurstLines(result) {
  const { plan, realUsers, quiet, burst, during } = result;
  const row = (label, s) =>
    `| ${label} | ${s.count} | ${fmt(s.p50)} | ${fmt(s.p95)} | **${fmt(s.p99)}** | ${fmt(s.max)} | ${answerText(s.answers)} |`;
  return [
    "",
    "## The burst (one client address, unknown emails, wrong passwords)",
    "",
    `Waves of ${plan.burstSize} sign-ins sent at once from ${plan.attackerAddress}, each wave once the previous one was answered, for at least ${plan.windowSeconds} s: **${burst.requests} sign-ins in ${burst.waves.length} wave(s), ${fmt(burst.seconds, 1)} s**.`,
    "",
    `- **Password checks the address got: ${burst.passwordChecks}** (401 answers; the address's limit is 50 per 15 minutes). The address's throttle row counts ${burst.addressCount}.`,
    ...(JSON.stringify([burst.answers, during.answers]).includes(UNANSWERED)
      ? [
          `- ${UNANSWERED}: still unanswered ${plan.deadlineSeconds} s after the burst began, when the bench stopped waiting (the API was still checking them; a real user's such sign-in counts with its time until then).`,
        ]
      : []),
    `- All answers: ${answerText(burst.answers)}.`,
    `- Waves: ${burst.waves.map((wave) => `${fmt(wave.seconds, 2)} s`).join(", ")}.`,
    "",
    "## A real user's sign-in (the password step, right password, from its own address)",
    "",
    `${realUsers} real users, each signing in again and again, one sign-in at a time. "During" counts the sign-ins started while the burst ran.`,
    "",
    "| when | sign-ins | p50 ms | p95 ms | p99 ms | max ms | answers |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    row(`quiet (${plan.quietSeconds} s, no burst)`, quiet),
    row("during the burst", during),
  ];
}

/** bench/results/<date>-<time>-password-burst.md and latest-password-burst.md. */
export function writePasswordBurstReport({ root, result, ...headerInput }) {
  writeFiles(root, headerInput.startedAt, "-password-burst", [
    ...header({ ...headerInput, title: "cloud2fa password burst (issue 13)" }),
    ...passwordBurstLines(result),
  ]);
}
