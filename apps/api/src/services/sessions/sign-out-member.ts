import type { StepUpState, User } from "@cloud2fa/domain";
import { count } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { signedOutEverywhereMessage } from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess } from "../auth/sessions.js";
import type { RequestMeta } from "../context.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { authorizeTeamAction, lockTeamMember } from "../team/authorize.js";
import { liveSessionsOf } from "./live-sessions.js";

/**
 * §6.5: the root user or an administrator (step-up) ends every session and open sign-in challenge of
 * a member of its team, never its own (S5). A pending member has never signed in and has nothing to
 * end: 409 ACCOUNT_NOT_ACTIVE, no mail, no event. Mailed to the member and audited.
 */
export async function signOutMember({
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
  authorizeTeamAction(actor, "signOutMember", memberId);
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const row = await lockTeamMember(tx, actor, memberId, "no key update");
    requireStepUp(stepUp, now);
    if (row.status === "pending") {
      throw new AppError("ACCOUNT_NOT_ACTIVE", {
        message: "This member has not activated the account yet: there is no session to end.",
      });
    }
    const [live] = await tx
      .select({ sessions: count() })
      .from(sessions)
      .where(liveSessionsOf(deps, row.id, now));
    await revokeUserAccess(tx, { userId: row.id, now });
    await recordAuditEvent(tx, deps, {
      accountId: row.accountId,
      type: "session.revoked",
      actor: partyOf(actor),
      subject: partyOf(row),
      meta,
      detail: { scope: "everywhere", count: live?.sessions ?? 0 },
    });
    await enqueueMail(tx, deps, signedOutEverywhereMessage(row.email, { by: actor.email, at: now }));
  });
}
