import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD_HASH_COST } from "./crypto/passwords.js";
import { queryRows } from "./db/connect.js";
import {
  type ApiInstance,
  post,
  type Reply,
  startApiInstances,
  stopApiInstance,
} from "./test/api-process.js";
import { createRootWithTotp, currentCodeAfter, PASSWORD, type TotpUser } from "./test/api-users.js";
import { createTestDatabase } from "./test/database.js";
import { type SmtpServer, startSmtpServer } from "./test/smtp.js";

// Only in the "postgres" vitest project (see vitest.config.ts): two real API processes on one database.
// The real clock is unavoidable here: the processes run their own.

const ENCRYPTION_KEYS = `k1:${createHash("sha256").update("cloud2fa multi-instance key").digest("base64")}`;

describe("S2 across two API processes on one PostgreSQL database", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let smtp: SmtpServer | undefined;
  let a: ApiInstance | undefined;
  let b: ApiInstance | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await startSmtpServer();
    if (!database.url) throw new Error("the postgres project must provide a database URL");
    const env = { DATABASE_URL: database.url, ENCRYPTION_KEYS, SMTP_URL: smtp.url };
    [a, b] = await startApiInstances(2, env);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopApiInstance(a), stopApiInstance(b)]);
    await smtp?.close();
    await database?.close();
  });

  function instances(): [string, string] {
    if (!a || !b) throw new Error("instances did not start");
    return [a.url, b.url];
  }

  async function openChallenge(base: string, email: string): Promise<string> {
    const login = await post(base, "/api/auth/root/login", { email, password: PASSWORD });
    expect(login.body?.status).toBe("two_factor_required");
    expect(login.cookie).toBeUndefined();
    return login.body?.challengeId ?? "";
  }

  /** `loserAnswers`: the refusals the request that did not win may get, as "status CODE". */
  function expectExactlyOneSignIn(replies: Reply[], loserAnswers: string[]) {
    const won = replies.filter((reply) => reply.status === 200);
    const lost = replies.filter((reply) => reply.status !== 200);
    expect(won).toHaveLength(1);
    expect(won[0]?.body?.status).toBe("authenticated");
    expect(won[0]?.cookie).toBeDefined();
    expect(lost).toHaveLength(replies.length - 1);
    for (const reply of lost) {
      expect(loserAnswers).toContain(`${reply.status} ${reply.body?.error?.code}`);
      expect(reply.cookie).toBeUndefined();
    }
  }

  let users: Promise<TotpUser[]> | undefined;
  const seededUsers = () => {
    const [urlA] = instances();
    if (!smtp) throw new Error("no smtp server");
    users ??= Promise.all([
      createRootWithTotp(urlA, smtp, `multi-a-${process.pid}@example.com`),
      createRootWithTotp(urlA, smtp, `multi-b-${process.pid}@example.com`),
    ]);
    return users;
  };

  it("S6 the real server hashes passwords at the production cost (argon2id, m=19 MiB, t=2, p=1)", async () => {
    const [user] = await seededUsers();
    if (!database || !user) throw new Error("no user");
    const [row] = await queryRows<{ passwordHash: string }>(
      database.db,
      sql`select password_hash as "passwordHash" from users where email_normalized = ${user.email}`,
    );
    const { memoryCost, timeCost } = PASSWORD_HASH_COST;
    expect(row?.passwordHash).toMatch(
      new RegExp(`^\\$argon2id\\$v=19\\$m=${memoryCost},t=${timeCost},p=1\\$`),
    );
    expect(memoryCost).toBe(19_456);
  }, 90_000);

  it("S2: the same code on one challenge, sent to both instances at once, signs in exactly once", async () => {
    const [urlA, urlB] = instances();
    const [user] = await seededUsers();
    if (!user) throw new Error("no user");
    const challengeId = await openChallenge(urlA, user.email);
    const code = await currentCodeAfter(user);
    const path = `/api/auth/challenges/${challengeId}/verify`;
    // The loser is refused at the code (400) or, if the winner committed before its attempt was
    // charged, at the challenge, which is then consumed (410): which one depends on timing.
    expectExactlyOneSignIn(await Promise.all([post(urlA, path, { code }), post(urlB, path, { code })]), [
      "400 INVALID_CODE",
      "410 CHALLENGE_EXPIRED",
    ]);
  }, 90_000);

  it("S2: the same code on two challenges, one opened on each instance, signs in exactly once", async () => {
    const [urlA, urlB] = instances();
    const [, user] = await seededUsers();
    if (!user) throw new Error("no user");
    const [onA, onB] = await Promise.all([openChallenge(urlA, user.email), openChallenge(urlB, user.email)]);
    const code = await currentCodeAfter(user);
    expectExactlyOneSignIn(
      await Promise.all([
        post(urlA, `/api/auth/challenges/${onA}/verify`, { code }),
        post(urlB, `/api/auth/challenges/${onB}/verify`, { code }),
      ]),
      ["400 INVALID_CODE"],
    );
  }, 90_000);
});
