import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashPassword } from "./crypto/passwords.js";
import { queryRows } from "./db/connect.js";
import { accounts, users } from "./db/schema/index.js";
import { call, createRoot, PASSWORD, START, useTestApp } from "./test/harness.js";

const context = useTestApp();

const ATTACKER_PASSWORD = "the attacker chose this one";
const VICTIM = "victim@example.com";

const signUp = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/signup", { body: { email, password } });
const logIn = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/login", { body: { email, password } });
const verify = (token: string) => call(context, "POST", "/api/auth/root/verify-email", { body: { token } });

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

describe("S6 no account pre-hijack through sign-up: the password of the opened link is the one that counts", () => {
  it("S6 an attacker signs up first with the victim's address; the victim signs up and verifies: the victim signs in, the attacker is refused", async () => {
    expect((await signUp(VICTIM, ATTACKER_PASSWORD)).status).toBe(202);
    expect((await signUp(VICTIM, PASSWORD)).status).toBe(202);
    const [, victimLink] = await verificationTokens(VICTIM, 2);
    expect((await verify(victimLink as string)).status).toBe(200);

    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    const attacker = await logIn(VICTIM, ATTACKER_PASSWORD);
    expect(attacker.status).toBe(401);
    expect(attacker.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(attacker.cookie).toBeUndefined();
  });

  it("S6 a new sign-up of an unverified address kills the older links: the older one → 400 INVALID_TOKEN and verifies nothing", async () => {
    await signUp(VICTIM, ATTACKER_PASSWORD);
    await signUp(VICTIM, PASSWORD);
    const [olderLink, newestLink] = await verificationTokens(VICTIM, 2);
    const older = await verify(olderLink as string);
    expect(older.status).toBe(400);
    expect(older.body.error.code).toBe("INVALID_TOKEN");
    // Still unverified; the pending sign-up's password is the newest one.
    expect((await logIn(VICTIM, PASSWORD)).body.error.code).toBe("EMAIL_NOT_VERIFIED");
    expect((await logIn(VICTIM, ATTACKER_PASSWORD)).body.error.code).toBe("INVALID_CREDENTIALS");
    expect((await verify(newestLink as string)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    // A spent link keeps no copy of the password hash; the dead one was deleted.
    const [kept] = await queryRows<{ count: number }>(
      context.database.db,
      sql`select count(*)::int as count from one_time_tokens where password_hash is not null`,
    );
    expect(kept?.count).toBe(0);
  });

  it("S6 two sign-ups of an unverified address at once leave exactly one working link", async () => {
    await signUp(VICTIM, ATTACKER_PASSWORD);
    await Promise.all([signUp(VICTIM, ATTACKER_PASSWORD), signUp(VICTIM, PASSWORD)]);
    const links = (await verificationTokens(VICTIM, 3)).slice(1);
    const answers = [];
    for (const link of links) answers.push((await verify(link)).status);
    expect(answers.sort()).toEqual([200, 400]);
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
        passwordHash: await hashPassword(ATTACKER_PASSWORD),
        status: "active",
        createdAt: START,
      });
      pending = signUp(VICTIM, PASSWORD);
      await waitForBlockedInsert();
    });
    const answer = await pending;
    expect(answer?.status).toBe(202);
    const [link] = await verificationTokens(VICTIM, 1);
    expect((await verify(link as string)).status).toBe(200);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 a verified address's repeat sign-up changes nothing: no link, the owner's password stays", async () => {
    const root = await createRoot(context, VICTIM);
    const [ownLink] = await verificationTokens(VICTIM, 1);
    expect((await signUp(VICTIM, ATTACKER_PASSWORD)).status).toBe(202);
    await context.smtp.waitFor(VICTIM, /Someone tried to sign up/);
    expect(await verificationTokens(VICTIM, 1)).toHaveLength(1);
    expect((await verify(ownLink as string)).body.error.code).toBe("INVALID_TOKEN");
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
    expect((await logIn(VICTIM, ATTACKER_PASSWORD)).body.error.code).toBe("INVALID_CREDENTIALS");
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).body.accountId).toBe(
      root.accountId,
    );
  });

  it("S6 a link opened twice at once works once", async () => {
    await signUp(VICTIM, PASSWORD);
    const [link] = await verificationTokens(VICTIM, 1);
    const answers = await Promise.all([verify(link as string), verify(link as string)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    expect((await logIn(VICTIM, PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 the verification mail tells a reader who did not sign up to ignore it", async () => {
    await signUp(VICTIM, ATTACKER_PASSWORD);
    const mail = await context.smtp.waitFor(VICTIM, /Verify/);
    expect(mail.text).toMatch(/did not sign up/i);
    expect(mail.text).toMatch(/ignore/i);
  });
});
