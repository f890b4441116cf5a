import {
  canChangeMemberStatus,
  canChangeSso,
  type MemberRole,
  memberChangeStepUpActions,
  type StepUpState,
  sameRoles,
  type User,
} from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { teamSso, twoFactorSetups, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess } from "../auth/sessions.js";
import type { RequestMeta } from "../context.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { loadUser, toDomainUser } from "../users.js";
import { authorizeTeamAction, lockTeamMember } from "./authorize.js";
import { type MemberView, readMemberView } from "./list-members.js";

export interface UpdateMemberInput {
  status?: "active" | "disabled" | undefined;
  roles?: MemberRole[] | undefined;
  sso?: boolean | undefined;
  remark?: string | undefined;
}

/** Status, roles, SSO flag and remark, each with its own permission; all or nothing. */
export async function updateMember({
  deps,
  actor,
  memberId,
  input,
  stepUp,
  meta,
}: {
  deps: Deps;
  actor: User;
  memberId: string;
  input: UpdateMemberInput;
  stepUp: StepUpState;
  meta: RequestMeta;
}): Promise<MemberView> {
  if (input.status !== undefined) authorizeTeamAction(actor, "changeStatus", memberId);
  if (input.roles !== undefined) authorizeTeamAction(actor, "changeRoles", memberId);
  if (input.sso !== undefined) authorizeTeamAction(actor, "changeSso", memberId);
  if (input.remark !== undefined) authorizeTeamAction(actor, "editRemark", memberId);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const row = await lockTeamMember(tx, actor, memberId, "no key update");
    const member = toDomainUser(row);
    const loaded = await loadUser(tx, { id: row.id });
    if (member.kind !== "member" || !loaded) throw new AppError("NOT_FOUND");
    // Step-up: disabling, roles, SSO and enabling a member who may manage the team (an Administrator)
    // need a recent code; a remark or enabling another member does not. Decided on the locked row.
    if (memberChangeStepUpActions(member, input).length > 0) requireStepUp(stepUp, now);
    const audit = { accountId: row.accountId, actor: partyOf(actor), subject: partyOf(row), meta };

    if (input.status !== undefined && input.status !== member.status) {
      const decision = canChangeMemberStatus(member);
      if (!decision.ok) throw new AppError(decision.reason);
      await tx.update(users).set({ status: input.status }).where(eq(users.id, row.id));
      // S5: a disabled member's sessions and pending sign-ins end now.
      if (input.status === "disabled") await revokeUserAccess(tx, { userId: row.id, now });
      await recordAuditEvent(tx, deps, {
        ...audit,
        type: "member.status_changed",
        detail: { from: member.status, to: input.status },
      });
    }
    if (input.sso !== undefined && input.sso !== member.isSso) {
      const decision = canChangeSso(loaded.twoFactor, input.sso);
      if (!decision.ok) throw new AppError(decision.reason);
      if (decision.cancelsPendingSetup)
        await tx.delete(twoFactorSetups).where(eq(twoFactorSetups.userId, row.id));
      await tx.update(users).set({ isSso: input.sso }).where(eq(users.id, row.id));
      // §7.3: with the team's SSO on, the way in changes (the password or the identity provider):
      // sessions opened the other way end. Without it, an SSO member still signs in with its password.
      const [sso] = await tx
        .select({ enabled: teamSso.enabled })
        .from(teamSso)
        .where(eq(teamSso.accountId, row.accountId));
      if (sso?.enabled) await revokeUserAccess(tx, { userId: row.id, now });
      await recordAuditEvent(tx, deps, { ...audit, type: "member.sso_changed", detail: { sso: input.sso } });
    }
    if (input.roles !== undefined && !sameRoles(input.roles, member.roles)) {
      const roles = [...new Set(input.roles)];
      await tx.update(users).set({ roles }).where(eq(users.id, row.id));
      await recordAuditEvent(tx, deps, {
        ...audit,
        type: "member.roles_changed",
        detail: { from: member.roles, to: roles },
      });
    }
    if (input.remark !== undefined)
      await tx.update(users).set({ remark: input.remark }).where(eq(users.id, row.id));
    return readMemberView(tx, actor, row.id);
  });
}
