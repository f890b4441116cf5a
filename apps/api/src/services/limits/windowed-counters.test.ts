import {
  addSeconds,
  type CodeAttemptBudget,
  chargeCodeAttempt,
  chargeWindowedCounter,
  type WindowedCounter,
} from "@cloud2fa/domain";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { asDate, queryRows } from "../../db/connect.js";
import { createRoot, START, useTestApp } from "../../test/harness.js";
import { chargeCodeBudgetStatement } from "./code-attempts.js";
import { accountLimit, chargeThrottleStatement } from "./password-throttle.js";

// The guarded upserts are the SQL form of the domain's S3 transitions: checked here state by state.
const context = useTestApp();
const now = START;
const at = (seconds: number | null) => (seconds === null ? null : addSeconds(now, seconds));

const budgets: [string, CodeAttemptBudget | null][] = [
  ["no row yet", null],
  ["empty", { count: 0, windowStartedAt: null, lockedUntil: null }],
  ["3 in an open window", { count: 3, windowStartedAt: at(-60), lockedUntil: null }],
  ["9 in an open window: the 10th locks", { count: 9, windowStartedAt: at(-60), lockedUntil: null }],
  ["10 in an open window, locked", { count: 10, windowStartedAt: at(-60), lockedUntil: at(840) }],
  ["lock ends exactly now", { count: 10, windowStartedAt: at(-900), lockedUntil: at(0) }],
  ["lock ended, window closed", { count: 10, windowStartedAt: at(-1000), lockedUntil: at(-100) }],
  ["window closes exactly now", { count: 9, windowStartedAt: at(-900), lockedUntil: null }],
  ["window closes in 1 s", { count: 9, windowStartedAt: at(-899), lockedUntil: null }],
  ["full window without a lock", { count: 10, windowStartedAt: at(-10), lockedUntil: null }],
];

describe("S3 the code-budget upsert is the domain's chargeCodeAttempt", () => {
  it.each(budgets)("S3 %s", async (_label, before) => {
    const root = await createRoot(context);
    if (before) {
      await context.database.db.execute(sql`insert into code_attempt_budgets (user_id, count, window_started_at, locked_until)
        values (${root.id}, ${before.count}, ${before.windowStartedAt?.toISOString() ?? null}::timestamptz,
          ${before.lockedUntil?.toISOString() ?? null}::timestamptz)`);
    }
    const [row] = await queryRows<{
      count: number;
      windowStartedAt: string | null;
      lockedUntil: string | null;
    }>(
      context.database.db,
      sql`with charged as (${chargeCodeBudgetStatement(sql`select ${root.id}::text as user_id`, now)})
        select count::int as "count", window_started_at as "windowStartedAt", locked_until as "lockedUntil" from charged`,
    );
    const expected = chargeCodeAttempt(before ?? { count: 0, windowStartedAt: null, lockedUntil: null }, now);
    if (!expected.ok) {
      expect(row).toBeUndefined();
      return;
    }
    expect({
      count: row?.count,
      windowStartedAt: asDate(row?.windowStartedAt),
      lockedUntil: asDate(row?.lockedUntil),
    }).toEqual(expected.state);
  });
});

const counters: [string, WindowedCounter | null][] = [
  ["no row yet", null],
  ["5 in an open window", { count: 5, windowStartedAt: at(-60) }],
  ["9 in an open window: the 10th fills it", { count: 9, windowStartedAt: at(-60) }],
  ["full", { count: 10, windowStartedAt: at(-60) }],
  ["full, window closes exactly now", { count: 10, windowStartedAt: at(-900) }],
  ["full, window closes in 1 s", { count: 10, windowStartedAt: at(-899) }],
];

describe("S3 the password-throttle upsert is the domain's chargeWindowedCounter", () => {
  it.each(counters)("S3 %s", async (label, before) => {
    const key = `account:${label}`;
    if (before) {
      await context.database.db.execute(sql`insert into password_throttles (key, count, window_started_at)
        values (${key}, ${before.count}, ${before.windowStartedAt?.toISOString() ?? null}::timestamptz)`);
    }
    await queryRows(
      context.database.db,
      sql`with charged as (${chargeThrottleStatement(key, accountLimit, now)}) select 1`,
    );
    const [row] = await queryRows<{ count: number; windowStartedAt: string }>(
      context.database.db,
      sql`select count::int as "count", window_started_at as "windowStartedAt" from password_throttles where key = ${key}`,
    );
    const expected = chargeWindowedCounter(before ?? { count: 0, windowStartedAt: null }, accountLimit, now);
    const after = { count: row?.count, windowStartedAt: asDate(row?.windowStartedAt) };
    expect(after).toEqual(expected.ok ? expected.state : before);
  });
});
