import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashPassword } from "./crypto/passwords.js";
import { queryRows } from "./db/connect.js";
import { accounts, users } from "./db/schema/index.js";
import { call, createRoot, PASSWORD, START, useTestApp } from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });

const ATTACKER_PASSWORD = "the attacker chose this one";
const VICTIM = "victim@example.com";

const CLIENT = "203.0.113.5";
const from = { "x-forwarded-for": CLIENT };

const signUp = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/signup", { body: { email, password }, headers: from });
const logIn = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/login", { body: { email, password }, headers: from });
const verify = (token: string, password: string) =>
  call(context, "POST", "/api/auth/root/verify-email", { body: { token, password }, headers: from });

async function throttleCount(key: string): Promise<number> {
  const [row] = await queryRows<{ count: number }>(
    context.database.db,
    sql`select count from password_throttles where key = ${key}`,
  );
  return row?.count ?? 0;
}

async function pendingSignUps(): Promise<{ links: number; passwords: number }> {
  const [row] = await queryRows<{ links: number; passwords: number }>(
    context.database.db,
    sql`select count(*)::int as links, count(password_hash)::int as passwords from one_time_tokens
      where purpose = 'verify_email'`,
  );
  return row ?? { links: 0, passwords: 0 };
}

/**
 * On PostgreSQL, until the sign-up's insert waits for a lock (it hashes the password first); PGlite
 * has one connection, so the sign-up simply runs after the holding transaction.
 */
async function waitForBlockedInsert(): Promise<void> {
  if (context.database.kind !== "postgres") return;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await queryRows<{ waiting: number }>(
      context.database.db,
      sql`select count(*)::int as waiting from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where not l.granted and a.datname = current_database()`,
    );
    if ((row?.waiting ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error("the sign-up never waited for the address's row");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The tokens of the verification links mailed to `email`, oldest first, once `count` have arrived. */
async function verificationTokens(email: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const mails = context.smtp.received.filter((mail) => mail.to === email && /Verify/.test(mail.subject));
    if (mails.length >= count) {
      return mails.map((mail) => {
        const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
        if (!token) throw new Error(`no token in ${mail.text}`);
        return token;
      });
    }
    if (Date.now() > deadline) throw new Error(`expected ${count} verification mails to ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("S6 sign-up pre-hijack: the victim signs up, an attacker signs up again with the victim's address and its own password; the victim's newest link activated the account with the attacker's password", () => {
  it("S6 sign-up pre-hijack: the victim opens the newest link (mailed for the attacker's sign-up) with the victim's password: the victim's password is activated, the attacker's refused", async () => {
    expect((await signUp(VICTIM, PASSWORD)).status).toBe(202);
    expect((await signUp(VICTIM, ATTACKER_PASSWORD)).status).toBe(202);
    const [, newestLink] = await verificationTokens(VICTIM, 2);
    expect((await verify(newestLink as string, PASSWORD)).status).toBe(200);

    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    const attacker = await logIn(VICTIM, ATTACKER_PASSWORD);
    expect(attacker.status).toBe(401);
    expect(attacker.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(attacker.cookie).toBeUndefined();
  });

  it("S6 sign-up pre-hijack: the victim's own link keeps working with the victim's password after the attacker's sign-up", async () => {
    await signUp(VICTIM, PASSWORD);
    await signUp(VICTIM, ATTACKER_PASSWORD);
    const [ownLink] = await verificationTokens(VICTIM, 2);
    expect((await verify(ownLink as string, PASSWORD)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    expect((await logIn(VICTIM, ATTACKER_PASSWORD)).status).toBe(401);
  });

  it("S6 sign-up pre-hijack: an attacker who signs up first gains nothing: the victim's sign-up and either link with the victim's password activate the victim's", async () => {
    await signUp(VICTIM, ATTACKER_PASSWORD);
    await signUp(VICTIM, PASSWORD);
    const [attackersLink] = await verificationTokens(VICTIM, 2);
    expect((await verify(attackersLink as string, PASSWORD)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    expect((await logIn(VICTIM, ATTACKER_PASSWORD)).status).toBe(401);
  });

  it("S6, S3 sign-up pre-hijack: a password of no pending sign-up → 400 INVALID_CREDENTIALS, verifies nothing, and is charged on the sign-in budget (account and client address)", async () => {
    await signUp(VICTIM, PASSWORD);
    const [link] = await verificationTokens(VICTIM, 1);
    const wrong = await verify(link as string, "a password nobody chose");
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(await throttleCount(`account:root:${VICTIM}`)).toBe(1);
    expect(await throttleCount(`address:${CLIENT}`)).toBe(1);
    expect((await logIn(VICTIM, PASSWORD)).status).toBe(401);

    // The account's sign-in budget (10 in 15 minutes) is shared: the wrong sign-in above was the 2nd.
    for (let attempt = 3; attempt <= 10; attempt++) {
      expect((await verify(link as string, "a password nobody chose")).status).toBe(400);
    }
    const refused = await verify(link as string, PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await logIn(VICTIM, PASSWORD)).status).toBe(429);

    context.clock.advance(15 * 60);
    expect((await verify(link as string, PASSWORD)).status).toBe(200);
    expect(await throttleCount(`account:root:${VICTIM}`)).toBe(0);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 verifying ends every pending sign-up of the address: its other links → 400 INVALID_TOKEN, and no link or password hash is kept", async () => {
    await signUp(VICTIM, ATTACKER_PASSWORD);
    await signUp(VICTIM, PASSWORD);
    const [attackersLink, ownLink] = await verificationTokens(VICTIM, 2);
    expect((await verify(ownLink as string, PASSWORD)).status).toBe(200);
    const spent = await verify(attackersLink as string, ATTACKER_PASSWORD);
    expect(spent.status).toBe(400);
    expect(spent.body.error.code).toBe("INVALID_TOKEN");
    expect(await pendingSignUps()).toEqual({ links: 0, passwords: 0 });
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 two sign-ups of an unverified address at once: each link is kept, and the owner's password activates", async () => {
    await signUp(VICTIM, PASSWORD);
    await Promise.all([signUp(VICTIM, ATTACKER_PASSWORD), signUp(VICTIM, "a third password, also long")]);
    expect(await pendingSignUps()).toEqual({ links: 3, passwords: 3 });
    const links = await verificationTokens(VICTIM, 3);
    expect((await verify(links[2] as string, PASSWORD)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 two links of the address opened at once with the owner's password: one verifies, the other → 400 INVALID_TOKEN", async () => {
    await signUp(VICTIM, PASSWORD);
    await signUp(VICTIM, ATTACKER_PASSWORD);
    const [first, second] = await verificationTokens(VICTIM, 2);
    const answers = await Promise.all([
      verify(first as string, PASSWORD),
      verify(second as string, PASSWORD),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    expect(answers.find((answer) => answer.status === 400)?.body.error.code).toBe("INVALID_TOKEN");
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 a link opened twice at once works once", async () => {
    await signUp(VICTIM, PASSWORD);
    const [link] = await verificationTokens(VICTIM, 1);
    const answers = await Promise.all([verify(link as string, PASSWORD), verify(link as string, PASSWORD)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 a link mailed before links carried their sign-up's password verifies with the account's password", async () => {
    await signUp(VICTIM, PASSWORD);
    const [link] = await verificationTokens(VICTIM, 1);
    await queryRows(context.database.db, sql`update one_time_tokens set password_hash = null`);
    expect((await verify(link as string, ATTACKER_PASSWORD)).status).toBe(400);
    expect((await verify(link as string, PASSWORD)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S7 a first sign-up that loses the race to insert the address answers 202 and its link works", async () => {
    // Another sign-up's transaction has inserted the address and not yet committed: this one cannot
    // see the row, inserts it too, and waits on the unique index until the other commits.
    const { db } = context.database;
    let pending: ReturnType<typeof signUp> | undefined;
    await db.transaction(async (tx) => {
      const accountId = "acc_race_winner";
      await tx.insert(accounts).values({ id: accountId, createdAt: START });
      await tx.insert(users).values({
        id: "usr_race_winner",
        accountId,
        kind: "root",
        email: VICTIM,
        emailNormalized: VICTIM,
        passwordHash: await hashPassword(ATTACKER_PASSWORD, context.deps.passwordHashCost),
        status: "active",
        createdAt: START,
      });
      pending = signUp(VICTIM, PASSWORD);
      await waitForBlockedInsert();
    });
    const answer = await pending;
    expect(answer?.status).toBe(202);
    const [link] = await verificationTokens(VICTIM, 1);
    expect((await verify(link as string, PASSWORD)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 a verified address's repeat sign-up changes nothing: no link, the owner's password stays", async () => {
    const root = await createRoot(context, VICTIM);
    const [ownLink] = await verificationTokens(VICTIM, 1);
    expect((await signUp(VICTIM, ATTACKER_PASSWORD)).status).toBe(202);
    await context.smtp.waitFor(VICTIM, /Someone tried to sign up/);
    expect(await verificationTokens(VICTIM, 1)).toHaveLength(1);
    expect((await verify(ownLink as string, PASSWORD)).body.error.code).toBe("INVALID_TOKEN");
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    expect((await logIn(VICTIM, ATTACKER_PASSWORD)).body.error.code).toBe("INVALID_CREDENTIALS");
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).body.accountId).toBe(
      root.accountId,
    );
  });

  it("S6 the verification mail asks for the sign-up password and tells a reader who did not sign up to ignore it", async () => {
    await signUp(VICTIM, ATTACKER_PASSWORD);
    const mail = await context.smtp.waitFor(VICTIM, /Verify/);
    expect(mail.text).toMatch(/password you chose/i);
    expect(mail.text).toMatch(/did not sign up/i);
    expect(mail.text).toMatch(/ignore/i);
  });
});
