import {
  addSeconds,
  chargeFactorStreak,
  type FactorStreak,
  settleFactorStreak,
  type UserKind,
} from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { asDate, queryRows } from "../../db/connect.js";
import { createMember, createRoot, enableTotp, START, useTestApp } from "../../test/harness.js";
import {
  chargeFactorStreakStatement,
  isFactorOpenFor,
  isFactorOpenForRecovery,
  resetFactorStreak,
} from "./factor-streak.js";

// The guarded updates are the SQL form of the domain's hard-cap transitions: checked here state by state.
const context = useTestApp();
const now = START;
const earlier = addSeconds(now, -3600);

const factors: [string, FactorStreak][] = [
  ["fresh", { failedCodeStreak: 0, lockedAt: null }],
  ["98 failed", { failedCodeStreak: 98, lockedAt: null }],
  ["99 failed: the 100th charge locks", { failedCodeStreak: 99, lockedAt: null }],
  ["100 without a lock", { failedCodeStreak: 100, lockedAt: null }],
  ["locked", { failedCodeStreak: 100, lockedAt: earlier }],
];

async function factorOf(kind: UserKind, before: FactorStreak): Promise<string> {
  const root = await createRoot(context);
  const user = kind === "root" ? root : await createMember(context, root);
  await enableTotp(context, user.cookie);
  const id = user.id;
  await context.database.db.execute(sql`update two_factors set failed_code_streak = ${before.failedCodeStreak},
    locked_at = ${before.lockedAt?.toISOString() ?? null}::timestamptz where user_id = ${id}`);
  return id;
}

async function run(statement: SQL): Promise<FactorStreak | undefined> {
  const [row] = await queryRows<{ failedCodeStreak: number; lockedAt: string | null }>(
    context.database.db,
    sql`with changed as (${statement})
      select failed_code_streak::int as "failedCodeStreak", locked_at as "lockedAt" from changed`,
  );
  return row && { failedCodeStreak: row.failedCodeStreak, lockedAt: asDate(row.lockedAt) };
}

describe("hard cap: the streak charge is the domain's chargeFactorStreak", () => {
  it.each(factors)("hard cap %s", async (_label, before) => {
    const id = await factorOf("root", before);
    const row = await run(chargeFactorStreakStatement(sql`select ${id}::text`, now));
    const expected = chargeFactorStreak(before, now);
    expect(row).toEqual(expected.ok ? expected.state : undefined);
  });
});

const settlements: [string, FactorStreak, Parameters<typeof settleFactorStreak>[1]][] = factors.flatMap(
  ([label, before]): [string, FactorStreak, Parameters<typeof settleFactorStreak>[1]][] => [
    [`${label}, a code`, before, { kind: "code", isLockingCharge: false }],
    [`${label}, the locking charge's code`, before, { kind: "code", isLockingCharge: true }],
    [`${label}, a root user's recovery code`, before, { kind: "recovery_code", userKind: "root" }],
    [`${label}, a member's recovery code`, before, { kind: "recovery_code", userKind: "member" }],
  ],
);

describe("hard cap: settling an accepted code is the domain's settleFactorStreak", () => {
  it.each(settlements)("hard cap %s", async (_label, before, by) => {
    const id = await factorOf(by.kind === "recovery_code" ? by.userKind : "root", before);
    const isOpen = by.kind === "code" ? isFactorOpenFor(by.isLockingCharge) : isFactorOpenForRecovery;
    const row = await run(
      sql`update two_factors set ${resetFactorStreak} where user_id = ${id} and ${isOpen}
        returning failed_code_streak, locked_at`,
    );
    const expected = settleFactorStreak(before, by);
    expect(row).toEqual(expected.ok ? expected.state : undefined);
  });
});
