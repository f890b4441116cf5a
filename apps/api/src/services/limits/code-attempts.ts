import { type CodeAttemptBudget, chargeCodeAttempt, emptyCodeAttemptBudget } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import type { Queryable, Tx } from "../../db/connect.js";
import { codeAttemptBudgets } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

/**
 * S3: charge one code attempt for the user before the code is checked, inside the caller's
 * transaction. The row lock serialises concurrent charges, across instances too.
 */
export async function chargeUserCodeAttempt(tx: Tx, userId: string, now: Date): Promise<CodeAttemptBudget> {
  await tx.insert(codeAttemptBudgets).values({ userId }).onConflictDoNothing();
  const [budget] = await tx
    .select()
    .from(codeAttemptBudgets)
    .where(eq(codeAttemptBudgets.userId, userId))
    .for("update");
  const charged = chargeCodeAttempt(budget ?? emptyCodeAttemptBudget, now);
  if (!charged.ok) throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: charged.retryAfterSeconds });
  await tx
    .update(codeAttemptBudgets)
    .set({
      count: charged.state.count,
      windowStartedAt: charged.state.windowStartedAt,
      lockedUntil: charged.state.lockedUntil,
    })
    .where(eq(codeAttemptBudgets.userId, userId));
  return charged.state;
}

/** S3: only a successful code resets the count. */
export async function resetUserCodeAttempts(q: Queryable, userId: string): Promise<void> {
  await q
    .update(codeAttemptBudgets)
    .set({ count: 0, windowStartedAt: null, lockedUntil: null })
    .where(eq(codeAttemptBudgets.userId, userId));
}
