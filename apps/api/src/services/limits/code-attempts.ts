import {
  addSeconds,
  CODE_LOCK_IN_SECONDS,
  type CodeAttemptBudget,
  chargeCodeAttempt,
  emptyCodeAttemptBudget,
  MAX_WRONG_CODES_PER_USER,
  WRONG_CODE_WINDOW_IN_SECONDS,
} from "@cloud2fa/domain";
import { eq, type SQL, sql } from "drizzle-orm";
import { asDate, type Queryable, queryRows } from "../../db/connect.js";
import { codeAttemptBudgets } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

/**
 * S3: the domain's `chargeCodeAttempt` as one guarded upsert, so a charge is settled by the
 * database in one statement whatever the number of API instances. `source` selects the user_id
 * to charge (none: nothing happens). code-attempts.test.ts checks it against the domain, state by state.
 */
export function chargeCodeBudgetStatement(source: SQL, now: Date): SQL {
  const windowOpenedBefore = addSeconds(now, -WRONG_CODE_WINDOW_IN_SECONDS);
  const lockedUntil = addSeconds(now, CODE_LOCK_IN_SECONDS);
  const isNewWindow = sql`(b.window_started_at is null or b.window_started_at <= ${windowOpenedBefore.toISOString()}::timestamptz)`;
  const nextCount = sql`(case when ${isNewWindow} then 1 else b.count + 1 end)`;
  return sql`
    insert into code_attempt_budgets as b (user_id, count, window_started_at, locked_until)
    select source.user_id, 1, ${now.toISOString()}::timestamptz,
      case when 1 >= ${MAX_WRONG_CODES_PER_USER} then ${lockedUntil.toISOString()}::timestamptz end
    from (${source}) as source
    on conflict (user_id) do update set
      count = ${nextCount},
      window_started_at = case when ${isNewWindow} then ${now.toISOString()}::timestamptz else b.window_started_at end,
      locked_until = case when ${nextCount} >= ${MAX_WRONG_CODES_PER_USER} then ${lockedUntil.toISOString()}::timestamptz end
    where (b.locked_until is null or b.locked_until <= ${now.toISOString()}::timestamptz)
      and (${isNewWindow} or b.count < ${MAX_WRONG_CODES_PER_USER})
    returning b.user_id, b.count, b.window_started_at, b.locked_until`;
}

export interface BudgetRow {
  count: number | null;
  windowStartedAt: Date | string | null;
  lockedUntil: Date | string | null;
}

/** A refused charge: the Retry-After the domain gives for the budget as it was. */
export function refuseCharge(before: CodeAttemptBudget, now: Date): never {
  const decision = chargeCodeAttempt(before, now);
  throw new AppError("TOO_MANY_ATTEMPTS", {
    retryAfterSeconds: decision.ok ? 1 : decision.retryAfterSeconds,
  });
}

export function toBudget(row: BudgetRow | undefined): CodeAttemptBudget {
  if (!row || row.count === null) return emptyCodeAttemptBudget;
  return {
    count: row.count,
    windowStartedAt: asDate(row.windowStartedAt),
    lockedUntil: asDate(row.lockedUntil),
  };
}

/** S3: charge one code attempt for the user before the code is checked; 429 when locked or full. */
export async function chargeUserCodeAttempt(
  q: Queryable,
  userId: string,
  now: Date,
): Promise<CodeAttemptBudget> {
  const [row] = await queryRows<{
    charged: boolean;
    count: number | null;
    windowStartedAt: string | null;
    lockedUntil: string | null;
    beforeCount: number | null;
    beforeWindowStartedAt: string | null;
    beforeLockedUntil: string | null;
  }>(
    q,
    sql`with charged as (${chargeCodeBudgetStatement(sql`select ${userId}::text as user_id`, now)})
      select charged.user_id is not null as "charged", charged.count::int as "count",
        charged.window_started_at as "windowStartedAt", charged.locked_until as "lockedUntil",
        before.count::int as "beforeCount", before.window_started_at as "beforeWindowStartedAt",
        before.locked_until as "beforeLockedUntil"
      from (select 1) as one
      left join charged on true
      left join code_attempt_budgets as before on before.user_id = ${userId}`,
  );
  if (!row?.charged) {
    refuseCharge(
      toBudget({
        count: row?.beforeCount ?? null,
        windowStartedAt: row?.beforeWindowStartedAt ?? null,
        lockedUntil: row?.beforeLockedUntil ?? null,
      }),
      now,
    );
  }
  return toBudget(row);
}

/** S3: only a successful code resets the count. */
export async function resetUserCodeAttempts(q: Queryable, userId: string): Promise<void> {
  await q
    .update(codeAttemptBudgets)
    .set({ count: 0, windowStartedAt: null, lockedUntil: null })
    .where(eq(codeAttemptBudgets.userId, userId));
}
