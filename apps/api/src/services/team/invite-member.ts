import {
  addSeconds,
  INVITATION_TTL_IN_SECONDS,
  invitationStepUpActions,
  type MemberRole,
  type StepUpState,
  type User,
} from "@cloud2fa/domain";
import { hashPassword } from "../../crypto/passwords.js";
import { createId, createToken } from "../../crypto/tokens.js";
import { isUniqueViolation } from "../../db/errors.js";
import { oneTimeTokens, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { invitationMessage } from "../../mail/messages.js";
import { requireStrongPassword } from "../accounts/password-rules.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { RequestMeta } from "../context.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { normalizeEmail } from "../users.js";
import { authorizeTeamAction } from "./authorize.js";
import { type MemberView, toMemberView } from "./list-members.js";

export interface InviteInput {
  email: string;
  password: string;
  roles: MemberRole[];
  remark?: string | undefined;
}

/**
 * A member's email is unique within its team (EMAIL_TAKEN); the unique index settles races. Inviting
 * an Administrator needs a recent code (step-up), checked before the password is hashed.
 */
export async function inviteMember({
  deps,
  actor,
  input,
  stepUp,
  meta,
}: {
  deps: Deps;
  actor: User;
  input: InviteInput;
  stepUp: StepUpState;
  meta: RequestMeta;
}): Promise<MemberView> {
  authorizeTeamAction(actor, "invite");
  const now = deps.clock.now();
  if (invitationStepUpActions(input.roles).length > 0) requireStepUp(stepUp, now);
  const email = input.email.trim();
  requireStrongPassword(input.password, { email, field: "password" }); // §6.3
  const passwordHash = await hashPassword(input.password, deps.passwordHashCost);
  const memberId = createId(deps.random, "mem");
  const { token, tokenHash } = createToken(deps.random, 32);
  let view: MemberView;
  try {
    view = await deps.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({
          id: memberId,
          accountId: actor.accountId,
          kind: "member",
          email,
          emailNormalized: normalizeEmail(email),
          passwordHash,
          status: "pending",
          roles: [...new Set(input.roles)],
          remark: input.remark ?? "",
          createdAt: now,
        })
        .returning();
      if (!row) throw new Error("insert returned nothing");
      await tx.insert(oneTimeTokens).values({
        id: createId(deps.random, "tok"),
        purpose: "activate_member",
        userId: memberId,
        tokenHash,
        expiresAt: addSeconds(now, INVITATION_TTL_IN_SECONDS),
        createdAt: now,
      });
      await recordAuditEvent(tx, deps, {
        accountId: actor.accountId,
        type: "member.invited",
        actor: partyOf(actor),
        subject: partyOf(row),
        meta,
        detail: { roles: row.roles },
      });
      const base = deps.settings.publicUrl;
      await enqueueMail(
        tx,
        deps,
        invitationMessage(email, {
          link: `${base}/member/activate?token=${encodeURIComponent(token)}`,
          signInUrl: `${base}/member/?account=${encodeURIComponent(actor.accountId)}`,
          accountId: actor.accountId,
          invitedBy: actor.email,
        }),
      );
      return toMemberView(row, undefined);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("EMAIL_TAKEN");
    throw error;
  }
  return view;
}
