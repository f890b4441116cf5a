import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "./db/connect.js";
import { startPruneSchedule } from "./prune-schedule.js";
import { pruneExpiredRows } from "./services/maintenance/prune-expired-rows.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

// Issue 13 item 12: the rules' tables are pruned on a schedule; nothing that still decides a rule goes.
const context = useTestApp();

const TABLES = [
  "password_throttles",
  "one_time_tokens",
  "sign_in_challenges",
  "email_codes",
  "two_factor_setups",
  "sessions",
  "code_attempt_budgets",
  "email_send_budgets",
] as const;

async function rowCounts(): Promise<Record<(typeof TABLES)[number] | "audit_events", number>> {
  const counts = {} as Record<string, number>;
  for (const table of [...TABLES, "audit_events"]) {
    const [row] = await queryRows<{ count: number }>(
      context.database.db,
      sql`select count(*)::int as count from ${sql.identifier(table)}`,
    );
    counts[table] = row?.count ?? 0;
  }
  return counts as Record<(typeof TABLES)[number] | "audit_events", number>;
}

const prune = () => pruneExpiredRows(context.deps);

function signIn(email: string, password = PASSWORD) {
  return call(context, "POST", "/api/auth/root/login", { body: { email, password } });
}

describe("pruning expired rows", () => {
  it("unbounded tables: under a stream of unknown-email sign-ins, password_throttles stays bounded", async () => {
    // One unknown address every 5 minutes for 4 hours; the longest throttle window is an hour.
    const minutesApart = 5;
    const signIns = 48;
    const bound = 60 / minutesApart + 1 + 1; // the last hour's addresses, the one at the edge, the client's own row
    let largest = 0;
    for (let index = 0; index < signIns; index++) {
      const answer = await signIn(`nobody-${index}@example.com`);
      expect(answer.status).toBe(401);
      if (index % 6 === 5) {
        await prune();
        const { password_throttles: rows } = await rowCounts();
        largest = Math.max(largest, rows);
        expect(rows, `after ${index + 1} sign-ins`).toBeLessThanOrEqual(bound);
      }
      context.clock.advance(minutesApart * 60);
    }
    expect(signIns).toBeGreaterThan(2 * bound);
    expect(largest).toBeGreaterThan(bound / 2);
  });

  it("pruning keeps what still decides a rule: a live throttle window, code lock, challenge, session, link and setup", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    await createMember(context, root, { activate: false });
    // S3: ten wrong passwords fill the account's window (a live lock for 15 minutes).
    for (let attempt = 0; attempt < 10; attempt++) await signIn("ghost@example.com", "not the password");
    expect((await signIn("ghost@example.com", "not the password")).status).toBe(429);
    // S3: ten wrong codes lock code entry for 15 minutes.
    context.clock.advance(30);
    let challenge = await openChallenge(context, root.email);
    for (let wrong = 0; wrong < 10; wrong++) {
      if (wrong % 5 === 0) challenge = await openChallenge(context, root.email);
      await verifyCode(context, challenge, "000000");
    }
    const otherRoot = await createRoot(context);
    const setup = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: otherRoot.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    expect(setup.status).toBe(200);

    const before = await rowCounts();
    const pruned = await prune();
    // Nothing here is dead: verifying an email deletes its links (S6), the invitation is live, and the
    // audit trail is never pruned.
    expect(pruned).toEqual({});
    expect(await rowCounts()).toEqual(before);

    expect((await signIn("ghost@example.com", "not the password")).status).toBe(429);
    const locked = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, secret),
    );
    expect(locked.status).toBe(429);
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(200);
    expect(
      (
        await call(context, "POST", "/api/me/two-factor/setup/confirm", {
          cookie: otherRoot.cookie,
          body: { code: totpNow(context, setup.body.secret) },
        })
      ).status,
    ).toBe(200);

    // An hour and a day later, everything above has expired; the invitation link lives 7 days.
    context.clock.advance(25 * 3600);
    await prune();
    const after = await rowCounts();
    expect(after).toMatchObject({
      password_throttles: 0,
      one_time_tokens: 1,
      sign_in_challenges: 0,
      email_codes: 0,
      two_factor_setups: 0,
      sessions: 0,
      code_attempt_budgets: 0,
      email_send_budgets: 0,
    });
    expect(after.audit_events).toBeGreaterThanOrEqual(before.audit_events);
    // Nothing answers differently for a pruned row: the throttle and the code lock are over.
    expect((await signIn("ghost@example.com", "not the password")).status).toBe(401);
    context.clock.advance(30);
    const signedIn = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, secret),
    );
    expect(signedIn.status).toBe(200);
  });

  it("pruning deletes each kind of dead row at its own moment, and no live one", async () => {
    const root = await createRoot(context);
    await enableTotp(context, root.cookie);
    context.clock.advance(30);
    const challenge = await openChallenge(context, root.email);
    const count = async (table: string, where = sql`true`) =>
      (
        await queryRows<{ count: number }>(
          context.database.db,
          sql`select count(*)::int as count from ${sql.identifier(table)} where ${where}`,
        )
      )[0]?.count;
    // A challenge lives 10 minutes: kept one second before, gone at its expiry.
    context.clock.advance(10 * 60 - 1);
    await prune();
    expect(await count("sign_in_challenges", sql`id = ${challenge}`)).toBe(1);
    context.clock.advance(1);
    await prune();
    expect(await count("sign_in_challenges", sql`id = ${challenge}`)).toBe(0);
    // The session of createRoot: idle since START, 30 minutes idle ends it.
    expect(await count("sessions", sql`revoked_at is null`)).toBe(1);
    context.clock.advance(20 * 60);
    await prune();
    expect(await count("sessions")).toBe(0);
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(401);
  });

  it("unbounded tables: processes pruning at once delete each dead row once, without error", async () => {
    for (let index = 0; index < 12; index++) await signIn(`stranger-${index}@example.com`);
    context.clock.advance(2 * 3600);
    const reports = await Promise.all([prune(), prune(), prune()]);
    const deleted = reports.reduce((sum, report) => sum + (report.password_throttles ?? 0), 0);
    expect(deleted).toBe(12);
    expect((await rowCounts()).password_throttles).toBe(0);
  });

  it("unbounded tables: the schedule prunes on its interval and its stop waits for a run in progress", async () => {
    for (let index = 0; index < 3; index++) await signIn(`passer-${index}@example.com`);
    context.clock.advance(2 * 3600);
    const schedule = startPruneSchedule(context.deps, 20);
    const deadline = Date.now() + 20_000;
    while ((await rowCounts()).password_throttles > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await schedule.stop();
    expect((await rowCounts()).password_throttles).toBe(0);
  });
});
