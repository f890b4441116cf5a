import type { StepUpState, User } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { twoFactorSetups, twoFactors } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess } from "../auth/sessions.js";
import type { RequestMeta } from "../context.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { notifyTwoFactorChange } from "../two-factor/notify-change.js";
import { recipientsOf } from "../two-factor/notify-security.js";
import { authorizeTeamAction, lockTeamMember } from "./authorize.js";

/**
 * R5, R9: only the root user removes a member's 2FA; the member's sessions and challenges end (S5).
 * The optional reason is kept in the audit event and mailed with the notice (R11).
 */
export async function removeMemberTwoFactor({
  deps,
  actor,
  memberId,
  reason,
  stepUp,
  meta,
}: {
  deps: Deps;
  actor: User;
  memberId: string;
  reason?: string | undefined;
  stepUp: StepUpState;
  meta: RequestMeta;
}): Promise<void> {
  const givenReason = reason?.trim() || undefined;
  authorizeTeamAction(actor, "removeTwoFactor");
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const row = await lockTeamMember(tx, actor, memberId, "no key update");
    requireStepUp(stepUp, now);
    const [removed] = await tx.delete(twoFactors).where(eq(twoFactors.userId, row.id)).returning();
    if (!removed)
      throw new AppError("NOT_FOUND", { message: "This member has no two-factor authentication." });
    await tx.delete(twoFactorSetups).where(eq(twoFactorSetups.userId, row.id));
    await revokeUserAccess(tx, { userId: row.id, now });
    await recordAuditEvent(tx, deps, {
      accountId: row.accountId,
      type: "two_factor.removed",
      actor: partyOf(actor),
      subject: partyOf(row),
      meta,
      detail: { method: removed.method, ...(givenReason ? { reason: givenReason } : {}) },
    });
    await notifyTwoFactorChange(tx, deps, await recipientsOf(tx, row), {
      change: "removed",
      by: actor.email,
      at: now,
      reason: givenReason,
    });
  });
}
