import { createHash } from "node:crypto";
import {
  CODE_LOCK_IN_SECONDS,
  EMAIL_RESEND_COOLDOWN_IN_SECONDS,
  MAX_PASSWORD_FAILURES_PER_ACCOUNT,
  MAX_WRONG_CODES_PER_CHALLENGE,
  MAX_WRONG_CODES_PER_USER,
  PASSWORD_FAILURE_WINDOW_IN_SECONDS,
} from "@cloud2fa/domain";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "./db/connect.js";
import {
  type ApiInstance,
  post,
  type Reply,
  sleep,
  startApiInstances,
  stopApiInstance,
} from "./test/api-process.js";
import {
  createRoot,
  createRootWithEmailFactor,
  createRootWithTotp,
  currentCodeAfter,
  PASSWORD,
  type TotpUser,
  wrongCodeFor,
} from "./test/api-users.js";
import { createTestDatabase } from "./test/database.js";
import { type SmtpServer, startSmtpServer } from "./test/smtp.js";

// Only in the "postgres" vitest project (see vitest.config.ts): three API processes on one database,
// concurrent requests spread round-robin over them; S2 and S3 must hold exactly as with one process.
// The real clock is unavoidable here: the processes run their own.

const ENCRYPTION_KEYS = `k1:${createHash("sha256").update("cloud2fa many-instances key").digest("base64")}`;
const run = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
let smtp: SmtpServer | undefined;
let instances: ApiInstance[] = [];
let users: { replayMany: TotpUser; replayOne: TotpUser; cap: TotpUser; lock: TotpUser } | undefined;
let passwordUser = "";
let mailChallenge: { email: string; challengeId: string; firstMailAt: number } | undefined;

/** Request `index` goes to instance `index mod 3`. */
function urlOf(index: number): string {
  const instance = instances[index % instances.length];
  if (!instance) throw new Error("instances did not start");
  return instance.url;
}

let clients = 0;
/** Each virtual client has its own address (TRUST_PROXY=1): the per-address throttle stays out of the way. */
function newClient(): { headers: Record<string, string> } {
  clients += 1;
  return { headers: { "x-forwarded-for": `10.${clients >> 16}.${(clients >> 8) & 255}.${clients & 255}` } };
}

function seeded() {
  if (!users || !smtp || !database || !mailChallenge) throw new Error("seeding failed");
  return { users, smtp, database, mailChallenge };
}

/** How many replies of each kind, as "status" or "status ERROR_CODE". */
function tally(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key = reply.body?.error ? `${reply.status} ${reply.body.error.code}` : String(reply.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Whole seconds, at most the limit plus one: a request that read the clock just before the one that
 * locked sees the lock end up to a second later than its own now + limit.
 */
function expectRetryAfter(reply: Reply, limitInSeconds: number, atLeastInSeconds = 1) {
  const seconds = Number(reply.retryAfter);
  const isInRange = Number.isInteger(seconds) && seconds >= atLeastInSeconds && seconds <= limitInSeconds + 1;
  expect(isInRange, `Retry-After ${reply.retryAfter}`).toBe(true);
}

/** Audit events about `email`; code events only those of sign-in (the setup confirmation is audited too). */
async function countAuditEvents(email: string, type: string): Promise<number> {
  const [row] = await queryRows<{ count: number }>(
    seeded().database.db,
    sql`select count(*)::int as "count" from audit_events where subject_email = ${email} and type = ${type}
      and coalesce(detail->>'purpose', 'sign_in') = 'sign_in'`,
  );
  return row?.count ?? -1;
}

async function countLiveSessions(email: string): Promise<number> {
  const [row] = await queryRows<{ count: number }>(
    seeded().database.db,
    sql`select count(*)::int as "count" from sessions s join users u on u.id = s.user_id
      where u.email = ${email} and s.revoked_at is null`,
  );
  return row?.count ?? -1;
}

async function openChallenge(base: string, email: string): Promise<string> {
  const login = await post(base, "/api/auth/root/login", { email, password: PASSWORD }, newClient());
  expect(login.body?.status).toBe("two_factor_required");
  return login.body?.challengeId ?? "";
}

const verify = (index: number, challengeId: string, code: string) =>
  post(urlOf(index), `/api/auth/challenges/${challengeId}/verify`, { code }, newClient());

describe("S2, S3 across three API processes on one PostgreSQL database", () => {
  beforeAll(async () => {
    database = await createTestDatabase();
    const mail = await startSmtpServer();
    smtp = mail;
    if (!database.url) throw new Error("the postgres project must provide a database URL");
    instances = await startApiInstances(3, {
      DATABASE_URL: database.url,
      ENCRYPTION_KEYS,
      SMTP_URL: mail.url,
      TRUST_PROXY: "1",
    });
    const email = (name: string) => `many-${name}-${run}@example.com`;
    // The resend check waits out the cooldown of the challenge's first mail: open it first.
    const openMailChallenge = async () => {
      await createRootWithEmailFactor(urlOf(2), mail, email("mail"), newClient().headers);
      const challengeId = await openChallenge(urlOf(0), email("mail"));
      mailChallenge = { email: email("mail"), challengeId, firstMailAt: Date.now() };
    };
    const [replayMany, replayOne, cap, lock] = await Promise.all([
      createRootWithTotp(urlOf(0), mail, email("replay-many"), newClient().headers),
      createRootWithTotp(urlOf(1), mail, email("replay-one"), newClient().headers),
      createRootWithTotp(urlOf(2), mail, email("cap"), newClient().headers),
      createRootWithTotp(urlOf(0), mail, email("lock"), newClient().headers),
      createRoot(urlOf(1), mail, email("password"), newClient().headers),
      openMailChallenge(),
    ]);
    users = { replayMany, replayOne, cap, lock };
    passwordUser = email("password");
  }, 120_000);

  afterAll(async () => {
    await Promise.all(instances.map(stopApiInstance));
    await smtp?.close();
    await database?.close();
  });

  it("S2: one TOTP code sent at once to six challenges of one user over the instances signs in exactly once", async () => {
    const user = seeded().users.replayMany;
    const challenges = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => openChallenge(urlOf(i), user.email)));
    const code = await currentCodeAfter(user);
    const replies = await Promise.all(challenges.map((challengeId, i) => verify(i + 1, challengeId, code)));
    expect(tally(replies)).toEqual({ "200": 1, "400 INVALID_CODE": 5 });
    expect(replies.filter((reply) => reply.cookie)).toHaveLength(1);
    expect(await countLiveSessions(user.email)).toBe(1);
    expect(await countAuditEvents(user.email, "two_factor.code_accepted")).toBe(1);
  }, 60_000);

  it("S2: one code on one challenge sent at once through all three instances signs in exactly once", async () => {
    const user = seeded().users.replayOne;
    const challengeId = await openChallenge(urlOf(0), user.email);
    const code = await currentCodeAfter(user);
    const replies = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => verify(i, challengeId, code)));
    const won = replies.filter((reply) => reply.status === 200);
    expect(won).toHaveLength(1);
    expect(won[0]?.cookie).toBeDefined();
    // A loser is refused at the code (400) or, once the winner consumed the challenge, at it (410).
    for (const reply of replies.filter((each) => each.status !== 200)) {
      expect(["400 INVALID_CODE", "410 CHALLENGE_EXPIRED"]).toContain(
        `${reply.status} ${reply.body?.error?.code}`,
      );
      expect(reply.cookie).toBeUndefined();
    }
    expect(await countLiveSessions(user.email)).toBe(1);
  }, 60_000);

  it("S3: 30 wrong codes at once on one challenge over the instances → exactly 5 evaluated, then the challenge is dead", async () => {
    const user = seeded().users.cap;
    const challengeId = await openChallenge(urlOf(1), user.email);
    const wrong = wrongCodeFor(user.secret);
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => verify(i, challengeId, wrong)));
    const counts = tally(replies);
    expect(counts["400 INVALID_CODE"]).toBe(MAX_WRONG_CODES_PER_CHALLENGE);
    for (const key of Object.keys(counts)) {
      expect(["400 INVALID_CODE", "410 CHALLENGE_EXPIRED", "429 TOO_MANY_ATTEMPTS"]).toContain(key);
    }
    expect(await countAuditEvents(user.email, "two_factor.code_rejected")).toBe(
      MAX_WRONG_CODES_PER_CHALLENGE,
    );
    const right = await verify(2, challengeId, await currentCodeAfter(user));
    expect(`${right.status} ${right.body?.error?.code}`).toBe("410 CHALLENGE_EXPIRED");
    expect(await countLiveSessions(user.email)).toBe(0);
  }, 60_000);

  it("S3: 40 wrong codes at once over 8 challenges of one user → exactly 10 evaluated, then 429 on every instance, right code too", async () => {
    const user = seeded().users.lock;
    const challenges = await Promise.all(
      Array.from({ length: 8 }, (_, i) => openChallenge(urlOf(i), user.email)),
    );
    const wrong = wrongCodeFor(user.secret);
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => verify(i, challenges[i % 8] ?? "", wrong)),
    );
    expect(tally(replies)).toEqual({
      "400 INVALID_CODE": MAX_WRONG_CODES_PER_USER,
      "429 TOO_MANY_ATTEMPTS": 40 - MAX_WRONG_CODES_PER_USER,
    });
    for (const reply of replies.filter((each) => each.status === 429))
      expectRetryAfter(reply, CODE_LOCK_IN_SECONDS);
    expect(await countAuditEvents(user.email, "two_factor.code_rejected")).toBe(MAX_WRONG_CODES_PER_USER);
    expect(await countAuditEvents(user.email, "two_factor.locked")).toBe(1);

    const code = await currentCodeAfter(user);
    for (const i of [0, 1, 2]) {
      const locked = await verify(i, await openChallenge(urlOf(i), user.email), code);
      expect(`${locked.status} ${locked.body?.error?.code}`).toBe("429 TOO_MANY_ATTEMPTS");
      expectRetryAfter(locked, CODE_LOCK_IN_SECONDS, CODE_LOCK_IN_SECONDS - 60);
    }
    expect(await countLiveSessions(user.email)).toBe(0);
    expect(await countAuditEvents(user.email, "two_factor.code_accepted")).toBe(0);
  }, 60_000);

  it("S3: 30 wrong passwords at once for one account from 30 addresses → exactly 10 evaluated, the rest 429", async () => {
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        post(urlOf(i), "/api/auth/root/login", { email: passwordUser, password: `wrong ${i}` }, newClient()),
      ),
    );
    expect(tally(replies)).toEqual({
      "401 INVALID_CREDENTIALS": MAX_PASSWORD_FAILURES_PER_ACCOUNT,
      "429 TOO_MANY_ATTEMPTS": 30 - MAX_PASSWORD_FAILURES_PER_ACCOUNT,
    });
    for (const reply of replies.filter((each) => each.status === 429)) {
      expectRetryAfter(reply, PASSWORD_FAILURE_WINDOW_IN_SECONDS);
    }
    for (const i of [0, 1, 2]) {
      const right = await post(
        urlOf(i),
        "/api/auth/root/login",
        { email: passwordUser, password: PASSWORD },
        newClient(),
      );
      expect(`${right.status} ${right.body?.error?.code}`).toBe("429 TOO_MANY_ATTEMPTS");
      expectRetryAfter(right, PASSWORD_FAILURE_WINDOW_IN_SECONDS);
    }
  }, 60_000);

  it("S3: 15 resends at once of one email challenge over the instances → exactly one 202 and one mail, the rest 429", async () => {
    const { smtp: mail, mailChallenge: challenge } = seeded();
    const cooldownEndsAt = challenge.firstMailAt + EMAIL_RESEND_COOLDOWN_IN_SECONDS * 1000;
    await sleep(Math.max(0, cooldownEndsAt + 1000 - Date.now()));
    const signInMails = () =>
      mail.received.filter((each) => each.to === challenge.email && /finish signing in/.test(each.text));
    const mailsBefore = signInMails().length;
    const path = `/api/auth/challenges/${challenge.challengeId}/resend`;
    const replies = await Promise.all(
      Array.from({ length: 15 }, (_, i) => post(urlOf(i), path, {}, newClient())),
    );
    expect(tally(replies)).toEqual({ "202": 1, "429 TOO_MANY_ATTEMPTS": 14 });
    for (const reply of replies.filter((each) => each.status === 429)) {
      expectRetryAfter(reply, EMAIL_RESEND_COOLDOWN_IN_SECONDS);
    }
    for (
      const deadline = Date.now() + 5000;
      signInMails().length === mailsBefore && Date.now() < deadline;
    ) {
      await sleep(50);
    }
    await sleep(1000);
    expect(signInMails()).toHaveLength(mailsBefore + 1);
    const code = /(\d{6})/.exec(signInMails().at(-1)?.text ?? "")?.[1] ?? "";
    expect((await verify(1, challenge.challengeId, code)).status).toBe(200);
  }, 90_000);
});
