import {
  type ComplianceMember,
  matchesTwoFactorFilter,
  type TeamCompliance,
  type TwoFactorFilter,
  teamCompliance,
  type User,
} from "@cloud2fa/domain";
import { and, asc, eq } from "drizzle-orm";
import { twoFactors, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { authorizeTeamAction } from "./authorize.js";
import { type MemberView, toMemberView } from "./list-members.js";

/** The Team page's list with its 2FA compliance: counts over the whole team, `filter` narrows the list only. */
export async function listMembersWithCompliance({
  deps,
  actor,
  filter,
}: {
  deps: Deps;
  actor: User;
  filter: TwoFactorFilter;
}): Promise<{ members: MemberView[]; compliance: TeamCompliance }> {
  authorizeTeamAction(actor, "view");
  const rows = await deps.db
    .select({ row: users, factor: twoFactors })
    .from(users)
    .leftJoin(twoFactors, eq(twoFactors.userId, users.id))
    .where(and(eq(users.accountId, actor.accountId), eq(users.kind, "member")))
    .orderBy(asc(users.createdAt), asc(users.id));
  const team = rows.map(({ row, factor }) => {
    const complianceMember: ComplianceMember = {
      isSso: row.isSso,
      hasTwoFactor: factor !== null,
      isTwoFactorLocked: factor?.lockedAt != null,
    };
    return { view: toMemberView(row, factor ?? undefined), complianceMember };
  });
  return {
    members: team
      .filter(({ complianceMember }) => matchesTwoFactorFilter(complianceMember, filter))
      .map(({ view }) => view),
    compliance: teamCompliance(team.map(({ complianceMember }) => complianceMember)),
  };
}
