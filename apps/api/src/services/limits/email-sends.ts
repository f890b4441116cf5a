import { chargeEmailSend, emptyEmailSendBudget } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import type { Tx } from "../../db/connect.js";
import { emailSendBudgets } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

/** S3: resends once a minute, at most 5 mails per 15 minutes per user; every mailed code counts. */
export async function chargeUserEmailSend(
  tx: Tx,
  input: { userId: string; now: Date; kind: "first" | "resend" },
): Promise<void> {
  const { userId, now } = input;
  // An upsert that locks an existing row, so pruning cannot delete it between this and the read.
  await tx
    .insert(emailSendBudgets)
    .values({ userId })
    .onConflictDoUpdate({ target: emailSendBudgets.userId, set: { userId } });
  const [budget] = await tx
    .select()
    .from(emailSendBudgets)
    .where(eq(emailSendBudgets.userId, userId))
    .for("update");
  const charged = chargeEmailSend(budget ?? emptyEmailSendBudget, now, input.kind);
  if (!charged.ok) throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: charged.retryAfterSeconds });
  await tx
    .update(emailSendBudgets)
    .set({
      count: charged.state.count,
      windowStartedAt: charged.state.windowStartedAt,
      lastSentAt: charged.state.lastSentAt,
    })
    .where(eq(emailSendBudgets.userId, userId));
}
