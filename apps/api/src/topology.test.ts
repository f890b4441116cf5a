import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  CODE_LOCK_IN_SECONDS,
  MAX_PASSWORD_FAILURES_PER_ADDRESS,
  MAX_WRONG_CODES_PER_USER,
} from "@cloud2fa/domain";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findExecutable } from "../scripts/topology.mjs";
import { connectDatabase, isDatabaseReachable, queryRows } from "./db/connect.js";
import {
  createRoot,
  createRootWithEmailFactor,
  createRootWithTotp,
  currentCodeAfter,
  PASSWORD,
  type TotpUser,
  wrongCodeFor,
} from "./test/api-users.js";
import { type SmtpServer, startSmtpServer } from "./test/smtp.js";
import { createTopology, type ProxyReply, send, type Topology } from "./test/topology.js";

// Only in the "postgres" vitest project: HAProxy → three API processes → PgBouncer in transaction
// pooling → PostgreSQL, all started here (docs/scale-out.md). The races of many-instances.test.ts,
// sent through the proxy, must settle as with one process; the proxy's client address must be the
// one the per-address limits and the audit see. The real clock: the processes run their own.

const ENCRYPTION_KEYS = `k1:${createHash("sha256").update("cloud2fa topology key").digest("base64")}`;
const run = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
const email = (name: string) => `topology-${name}-${run}@example.com`;
const journal = new URL("./db/migrations/meta/_journal.json", import.meta.url);

const topology = createTopology();
let parts: Topology | undefined;
let smtp: SmtpServer | undefined;

function started() {
  if (!parts || !smtp) throw new Error("the topology did not start");
  return { ...parts, smtp };
}

const post = (path: string, body: unknown, options: Parameters<typeof send>[3] = {}) =>
  send(started().proxyUrl, "POST", path, { ...options, body });

/** How many replies of each kind, as "status" or "status ERROR_CODE". */
function tally(replies: ProxyReply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key = reply.body?.error ? `${reply.status} ${reply.body.error.code}` : String(reply.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Every API process answered some of `replies`: the proxy spread them. */
function expectSpread(replies: ProxyReply[]) {
  expect(new Set(replies.map((reply) => reply.servedBy))).toEqual(new Set(["api1", "api2", "api3"]));
}

async function openChallenge(address: string, from = "127.0.0.1"): Promise<string> {
  const login = await post("/api/auth/root/login", { email: address, password: PASSWORD }, { from });
  expect(login.body?.status, `${login.status} ${JSON.stringify(login.body)}`).toBe("two_factor_required");
  return login.body?.challengeId ?? "";
}

async function countRows(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ count: number }>(started().database.db, query);
  return row?.count ?? -1;
}

describe("the scale-out topology: HAProxy → 3 API processes → PgBouncer (transaction pooling) → PostgreSQL", () => {
  let users: { replay: TotpUser; recovery: TotpUser; lock: TotpUser } | undefined;
  const seeded = () => {
    if (!users) throw new Error("seeding failed");
    return users;
  };

  beforeAll(async () => {
    smtp = await startSmtpServer();
    parts = await topology.start({ count: 3, env: { ENCRYPTION_KEYS, SMTP_URL: smtp.url } });
    const proxy = parts.proxyUrl;
    const [replay, recovery, lock] = await Promise.all([
      createRootWithTotp(proxy, smtp, email("replay")),
      createRootWithTotp(proxy, smtp, email("recovery")),
      createRootWithTotp(proxy, smtp, email("lock")),
      createRootWithEmailFactor(proxy, smtp, email("mail")),
      createRoot(proxy, smtp, email("reset")),
      createRoot(proxy, smtp, email("throttled")),
    ]);
    users = { replay, recovery, lock };
  }, 180_000);

  afterAll(async () => {
    await topology.stop();
    await smtp?.close();
  }, 60_000);

  it("a missing part fails the run with what to install, not a skip", () => {
    expect(() => findExecutable("c2f-no-such-daemon")).toThrow(
      /not installed.*apt-get install -y c2f-no-such-daemon/,
    );
  });

  it("three processes migrated at once through PgBouncer: each migration ran exactly once (a transaction's advisory lock)", async () => {
    const { entries } = JSON.parse(readFileSync(journal, "utf8")) as { entries: unknown[] };
    expect(entries.length).toBeGreaterThan(0);
    expect(await countRows(sql`select count(*)::int as "count" from drizzle.__drizzle_migrations`)).toBe(
      entries.length,
    );
    // Every process is PgBouncer's client, not PostgreSQL's.
    const logins = started().pgBouncerOutput().split(`login attempt: db=${started().databaseName} `);
    expect(logins.length - 1).toBeGreaterThanOrEqual(3);
  });

  it("through PgBouncer the pool answers every statement: parameterless ones (the proxy's /readyz checks) among parameterized ones, 16 at a time", async () => {
    // PgBouncer 1.18 lost the answer of a statement pipelined behind a parameterless one (connect.ts).
    const pooled = await connectDatabase({ databaseUrl: started().pgBouncerUrl, poolSize: 4 });
    try {
      const work = Promise.all(
        Array.from({ length: 16 }, async (_, worker) => {
          let answered = 0;
          for (let i = 0; i < 100; i++) {
            if (worker % 4 === 0) expect(await isDatabaseReachable(pooled.db)).toBe(true);
            else await queryRows(pooled.db, sql`select ${i}::int + ${worker}::int as "sum"`);
            answered++;
          }
          return answered;
        }),
      );
      const unanswered = new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error("statements through PgBouncer unanswered after 30 s")),
          30_000,
        ).unref(),
      );
      expect(await Promise.race([work, unanswered])).toEqual(Array.from({ length: 16 }, () => 100));
    } finally {
      await pooled.close();
    }
  }, 60_000);

  it("S2 through the proxy: one TOTP code sent at once to six challenges of one user signs in exactly once", async () => {
    const user = seeded().replay;
    const challenges = await Promise.all([0, 1, 2, 3, 4, 5].map(() => openChallenge(user.email)));
    const code = await currentCodeAfter(user);
    const replies = await Promise.all(
      challenges.map((challengeId) => post(`/api/auth/challenges/${challengeId}/verify`, { code })),
    );
    expect(tally(replies)).toEqual({ "200": 1, "400 INVALID_CODE": 5 });
    expectSpread(replies);
    expect(replies.filter((reply) => reply.cookie)).toHaveLength(1);
  }, 90_000);

  it("S1 through the proxy: one mailed sign-in code sent six times at once signs in exactly once", async () => {
    const { smtp: mail } = started();
    const address = email("mail");
    const signInMails = () =>
      mail.received.filter((each) => each.to === address && /finish signing in/.test(each.text));
    const challengeId = await openChallenge(address);
    for (const givingUpAt = Date.now() + 20_000; signInMails().length === 0; ) {
      if (Date.now() > givingUpAt) throw new Error(`no sign-in code mailed to ${address}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const code = /(\d{6})/.exec(signInMails().at(-1)?.text ?? "")?.[1];
    const replies = await Promise.all(
      Array.from({ length: 6 }, () => post(`/api/auth/challenges/${challengeId}/verify`, { code })),
    );
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(1);
    for (const reply of replies.filter((each) => each.status !== 200)) {
      expect(["400 INVALID_CODE", "410 CHALLENGE_EXPIRED"]).toContain(
        `${reply.status} ${reply.body?.error?.code}`,
      );
      expect(reply.cookie).toBeUndefined();
    }
    expectSpread(replies);
  }, 90_000);

  it("S3 through the proxy: one recovery code sent at once to six challenges signs in exactly once", async () => {
    const user = seeded().recovery;
    const [recoveryCode] = user.recoveryCodes;
    expect(recoveryCode).toBeDefined();
    const challenges = await Promise.all([0, 1, 2, 3, 4, 5].map(() => openChallenge(user.email)));
    const replies = await Promise.all(
      challenges.map((challengeId) =>
        post(`/api/auth/challenges/${challengeId}/recovery`, { code: recoveryCode }),
      ),
    );
    expect(tally(replies)).toEqual({ "200": 1, "400 INVALID_CODE": 5 });
    expectSpread(replies);
    const [winner] = replies.filter((reply) => reply.status === 200);
    expect(winner?.cookie).toBeDefined();
  }, 90_000);

  it("§6.1 through the proxy: the mailed link names PUBLIC_URL, and six confirms of it at once reset exactly once", async () => {
    const { smtp: mail, proxyUrl } = started();
    const address = email("reset");
    expect((await post("/api/auth/password-reset", { email: address })).status).toBe(202);
    const link = /(\S+reset-password\?token=[A-Za-z0-9_-]+)/.exec(
      (await mail.waitFor(address, /Reset your cloud2fa password/)).text,
    )?.[1];
    expect(link?.startsWith(`${proxyUrl}/reset-password?token=`)).toBe(true);
    const token = new URL(link ?? "").searchParams.get("token");
    const newPassword = "a new password through the proxy";
    const replies = await Promise.all(
      Array.from({ length: 6 }, () =>
        post("/api/auth/password-reset/confirm", { token, password: newPassword }),
      ),
    );
    expect(tally(replies)).toEqual({ "204": 1, "400 INVALID_TOKEN": 5 });
    expectSpread(replies);
    const signIn = await post("/api/auth/root/login", { email: address, password: newPassword });
    expect(signIn.body?.status).toBe("authenticated");
  }, 90_000);

  it("S3 through the proxy: 40 wrong codes over 8 challenges → exactly 10 evaluated, then 429 from every process, the right code too", async () => {
    const user = seeded().lock;
    const from = "127.0.0.4";
    const challenges = await Promise.all(Array.from({ length: 8 }, () => openChallenge(user.email, from)));
    const wrong = wrongCodeFor(user.secret);
    // The client's own X-Forwarded-For is appended to, not believed: the audit names 127.0.0.4.
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        post(
          `/api/auth/challenges/${challenges[i % 8]}/verify`,
          { code: wrong },
          { from, headers: { "x-forwarded-for": `203.0.113.${i}` } },
        ),
      ),
    );
    expect(tally(replies)).toEqual({
      "400 INVALID_CODE": MAX_WRONG_CODES_PER_USER,
      "429 TOO_MANY_ATTEMPTS": 40 - MAX_WRONG_CODES_PER_USER,
    });
    expectSpread(replies);
    const rejectedFrom = await queryRows<{ clientAddress: string }>(
      started().database.db,
      sql`select distinct client_address as "clientAddress" from audit_events
        where subject_email = ${user.email} and type = 'two_factor.code_rejected'`,
    );
    expect(rejectedFrom).toEqual([{ clientAddress: from }]);

    const code = await currentCodeAfter(user);
    const locked = [];
    for (let i = 0; i < 6; i++) {
      locked.push(await post(`/api/auth/challenges/${await openChallenge(user.email)}/verify`, { code }));
    }
    expect(tally(locked)).toEqual({ "429 TOO_MANY_ATTEMPTS": 6 });
    expectSpread(locked);
    for (const reply of locked) {
      expect(Number(reply.retryAfter)).toBeGreaterThan(CODE_LOCK_IN_SECONDS - 120);
    }
  }, 120_000);

  it("S3 TRUST_PROXY=1 behind HAProxy: the password throttle counts the real client address, and a client's own X-Forwarded-For moves nothing", async () => {
    const throttled = "127.0.0.2";
    const other = "127.0.0.3";
    // Three at a time: one address holds at most a few places in a process's hash queue.
    const statuses: number[] = [];
    const queue = Array.from({ length: MAX_PASSWORD_FAILURES_PER_ADDRESS }, (_, i) => i);
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const reply = await post(
            "/api/auth/root/login",
            { email: `nobody-${i}-${run}@example.com`, password: "wrong password" },
            { from: throttled, headers: { "x-forwarded-for": `198.51.100.${i}` } },
          );
          statuses.push(reply.status);
        }
      }),
    );
    expect(statuses).toEqual(Array.from({ length: MAX_PASSWORD_FAILURES_PER_ADDRESS }, () => 401));

    const right = { email: email("throttled"), password: PASSWORD };
    for (const spoofed of [undefined, "198.51.100.200", "127.0.0.3"]) {
      const refused = await post("/api/auth/root/login", right, {
        from: throttled,
        headers: spoofed ? { "x-forwarded-for": spoofed } : {},
      });
      expect(`${refused.status} ${refused.body?.error?.code}`, `X-Forwarded-For ${spoofed}`).toBe(
        "429 TOO_MANY_ATTEMPTS",
      );
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    }
    const elsewhere = await post("/api/auth/root/login", right, { from: other });
    expect(elsewhere.body?.status).toBe("authenticated");

    const keys = await queryRows<{ key: string; count: number }>(
      started().database.db,
      sql`select key, count from password_throttles where key like 'address:%' order by key`,
    );
    expect(keys.find((row) => row.key === `address:${throttled}`)?.count).toBe(
      MAX_PASSWORD_FAILURES_PER_ADDRESS,
    );
    expect(keys.filter((row) => row.key.startsWith("address:198.51.100."))).toEqual([]);

    const listed = await send(started().proxyUrl, "GET", "/api/me/sessions", {
      from: other,
      cookie: elsewhere.cookie ?? "",
    });
    const { sessions } = listed.body as unknown as {
      sessions: { current: boolean; clientAddress: string }[];
    };
    expect(sessions.find((session) => session.current)?.clientAddress).toBe(other);
  }, 120_000);

  it("S5 through the proxy: PUBLIC_URL (the proxy's origin) may mutate; a foreign, null or cross-site request, or a process's own address, gets 403", async () => {
    const { proxyUrl, instances } = started();
    const from = "127.0.0.5";
    const body = { email: email("throttled"), password: "not the password" };
    const hostile: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: instances[0]?.url ?? "" },
      { origin: proxyUrl, "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const headers of hostile) {
      const refused = await post("/api/auth/root/login", body, { from, headers });
      expect(`${refused.status} ${refused.body?.error?.code}`, JSON.stringify(headers)).toBe("403 FORBIDDEN");
    }
    const own = await post("/api/auth/root/login", body, {
      from,
      headers: { origin: proxyUrl, "sec-fetch-site": "same-origin" },
    });
    expect(`${own.status} ${own.body?.error?.code}`).toBe("401 INVALID_CREDENTIALS");
  }, 60_000);
});
