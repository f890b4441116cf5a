import type { StepUpState } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import type { Queryable } from "../../db/connect.js";
import { accounts } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import type { ServiceCall } from "../context.js";
import type { UserRow } from "../users.js";
import { authorizeTeamSettingsChange, recordTeamSettingsChanged } from "./settings.js";

/** Require 2FA for members: the team policy, in force from `memberTwoFactorDeadline` (ISO 8601) if set. */
export interface MemberTwoFactorPolicyView {
  requireMemberTwoFactor: boolean;
  memberTwoFactorDeadline: string | null;
}

async function selectPolicy(q: Queryable, accountId: string): Promise<MemberTwoFactorPolicyView> {
  const [team] = await q
    .select({ required: accounts.requireMemberTwoFactor, deadline: accounts.memberTwoFactorDeadline })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!team) throw new AppError("NOT_FOUND");
  return {
    requireMemberTwoFactor: team.required,
    memberTwoFactorDeadline: team.deadline?.toISOString() ?? null,
  };
}

export function readMemberTwoFactorPolicy(deps: Deps, accountId: string): Promise<MemberTwoFactorPolicyView> {
  return selectPolicy(deps.db, accountId);
}

/** The root user's alone, like every team setting, after a step-up; a deadline in the past enforces the policy at once. */
export async function updateMemberTwoFactorPolicy({
  deps,
  input,
  meta,
}: ServiceCall<{
  actor: UserRow;
  policy: Partial<MemberTwoFactorPolicyView>;
  stepUp: StepUpState;
}>): Promise<MemberTwoFactorPolicyView> {
  const { actor, policy } = input;
  authorizeTeamSettingsChange(deps, input);
  const changes: Partial<typeof accounts.$inferInsert> = {};
  const detail: Partial<MemberTwoFactorPolicyView> = {};
  if (policy.requireMemberTwoFactor !== undefined) {
    changes.requireMemberTwoFactor = policy.requireMemberTwoFactor;
    detail.requireMemberTwoFactor = policy.requireMemberTwoFactor;
  }
  if (policy.memberTwoFactorDeadline !== undefined) {
    const deadline =
      policy.memberTwoFactorDeadline === null ? null : new Date(policy.memberTwoFactorDeadline);
    changes.memberTwoFactorDeadline = deadline;
    detail.memberTwoFactorDeadline = deadline?.toISOString() ?? null;
  }
  return deps.db.transaction(async (tx) => {
    await tx.update(accounts).set(changes).where(eq(accounts.id, actor.accountId));
    await recordTeamSettingsChanged(tx, deps, { actor, meta, detail });
    return selectPolicy(tx, actor.accountId);
  });
}
