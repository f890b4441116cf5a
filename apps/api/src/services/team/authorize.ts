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

/**
 * A member of the actor's own team, row-locked: another tenant's member is simply not found.
 * "no key update" unless the row is deleted: FOR UPDATE would block the foreign-key checks of a
 * concurrent insert for the member (a 2FA, a session) and deadlock with it (S7).
 */
export async function lockTeamMember(
  tx: Tx,
  actor: User,
  memberId: string,
  strength: "update" | "no key update",
): Promise<UserRow> {
  const [row] = await tx
    .select()
    .from(users)
    .where(and(eq(users.id, memberId), eq(users.accountId, actor.accountId), eq(users.kind, "member")))
    .for(strength);
  if (!row) throw new AppError("NOT_FOUND");
  return row;
}
