import { canPerformTeamAction, canPerformTeamActionOn, type TeamAction, type User } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import type { Tx } from "../../db/connect.js";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import type { UserRow } from "../users.js";

/** With `memberId`, the action is on that member: nobody changes its own membership (CANNOT_CHANGE_OWN_MEMBERSHIP). */
export function authorizeTeamAction(actor: User, action: TeamAction, memberId?: string): void {
  const decision =
    memberId === undefined
      ? canPerformTeamAction(actor, action)
      : canPerformTeamActionOn(actor, memberId, action);
  if (!decision.ok) throw new AppError(decision.reason);
}

/** A member of the actor's own team, row-locked: another tenant's member is simply not found. */
export async function lockTeamMember(tx: Tx, actor: User, memberId: string): Promise<UserRow> {
  const [row] = await tx
    .select()
    .from(users)
    .where(and(eq(users.id, memberId), eq(users.accountId, actor.accountId), eq(users.kind, "member")))
    .for("update");
  if (!row) throw new AppError("NOT_FOUND");
  return row;
}
