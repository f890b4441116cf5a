import type { StepUpState, User } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { twoFactors, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { memberWithTwoFactorDeletedMessage } from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { RequestMeta } from "../context.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { findRootOfAccount } from "../users.js";
import { authorizeTeamAction, lockTeamMember } from "./authorize.js";

/** Final: the row goes, and with it (cascade) its sessions, challenges, 2FA and codes (S5). */
export async function deleteMember({
  deps,
  actor,
  memberId,
  stepUp,
  meta,
}: {
  deps: Deps;
  actor: User;
  memberId: string;
  stepUp: StepUpState;
  meta: RequestMeta;
}): Promise<void> {
  authorizeTeamAction(actor, "delete", memberId);
  await deps.db.transaction(async (tx) => {
    const row = await lockTeamMember(tx, actor, memberId, "update");
    requireStepUp(stepUp, deps.clock.now());
    // S8: the 2FA goes with the row; the event says so, as a removal's would.
    const [factor] = await tx
      .select({ method: twoFactors.method })
      .from(twoFactors)
      .where(eq(twoFactors.userId, row.id));
    await tx.delete(users).where(eq(users.id, row.id));
    await recordAuditEvent(tx, deps, {
      accountId: row.accountId,
      type: "member.deleted",
      actor: partyOf(actor),
      subject: partyOf(row),
      meta,
      detail: { twoFactorMethod: factor?.method ?? null },
    });
    // Issue 13: a member with 2FA is gone; the root user hears of it, as of a removed 2FA (R11).
    const root = factor ? await findRootOfAccount(tx, row.accountId) : null;
    if (factor && root) {
      await enqueueMail(
        tx,
        deps,
        memberWithTwoFactorDeletedMessage(root.email, {
          memberEmail: row.email,
          method: factor.method,
          by: actor.email,
          at: deps.clock.now(),
        }),
      );
    }
  });
}
