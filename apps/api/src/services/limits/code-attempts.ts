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

/**
 * A refused charge: 429 with the Retry-After the domain gives for the budget as committed now (read
 * afresh: the charging statement may have seen it before a concurrent charge locked it).
 */
export async function refuseCharge(q: Queryable, userId: string, now: Date): Promise<never> {
  const [row] = await q.select().from(codeAttemptBudgets).where(eq(codeAttemptBudgets.userId, userId));
  const decision = chargeCodeAttempt(row ?? emptyCodeAttemptBudget, now);
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
  const [row] = await queryRows<BudgetRow>(
    q,
    sql`with charged as (${chargeCodeBudgetStatement(sql`select ${userId}::text as user_id`, now)})
      select count::int as "count", window_started_at as "windowStartedAt", locked_until as "lockedUntil"
      from charged`,
  );
  if (!row) return refuseCharge(q, userId, now);
  return toBudget(row);
}

/** S3: only a successful code resets the count. */
export async function resetUserCodeAttempts(q: Queryable, userId: string): Promise<void> {
  await q
    .update(codeAttemptBudgets)
    .set({ count: 0, windowStartedAt: null, lockedUntil: null })
    .where(eq(codeAttemptBudgets.userId, userId));
}
