import { canChangeTeamSettings, canHaveRecoveryCodes, type StepUpState } from "@cloud2fa/domain";
import { and, eq, inArray } from "drizzle-orm";
import { accounts, recoveryCodes, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { toDomainUser, type UserRow } from "../users.js";

export interface TeamSettings {
  allowMemberRecoveryCodes: boolean;
}

export async function readTeamSettings(deps: Deps, accountId: string): Promise<TeamSettings> {
  const [team] = await deps.db
    .select({ allowMemberRecoveryCodes: accounts.allowMemberRecoveryCodes })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!team) throw new AppError("NOT_FOUND");
  return team;
}

/** The team's settings are the root user's alone, and the team policy needs a recent code (step-up). */
export async function updateTeamSettings({
  deps,
  input,
  meta,
}: ServiceCall<{
  actor: UserRow;
  settings: Partial<TeamSettings>;
  stepUp: StepUpState;
}>): Promise<TeamSettings> {
  const { actor, settings } = input;
  const allowed = canChangeTeamSettings(toDomainUser(actor));
  if (!allowed.ok) throw new AppError(allowed.reason);
  requireStepUp(input.stepUp, deps.clock.now());
  return deps.db.transaction(async (tx) => {
    if (settings.allowMemberRecoveryCodes !== undefined) {
      await tx
        .update(accounts)
        .set({ allowMemberRecoveryCodes: settings.allowMemberRecoveryCodes })
        .where(eq(accounts.id, actor.accountId));
      // Members who may no longer hold recovery codes lose the ones they have: turning the setting
      // off closes that way in at once (turning it on again gives nobody codes back).
      const team = { allowMemberRecoveryCodes: settings.allowMemberRecoveryCodes };
      if (!canHaveRecoveryCodes({ kind: "member" }, team)) {
        const members = tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.accountId, actor.accountId), eq(users.kind, "member")));
        await tx.delete(recoveryCodes).where(inArray(recoveryCodes.userId, members));
      }
      await recordAuditEvent(tx, deps, {
        accountId: actor.accountId,
        type: "team.settings_changed",
        actor: partyOf(actor),
        subject: null,
        meta,
        detail: settings,
      });
    }
    const [team] = await tx
      .select({ allowMemberRecoveryCodes: accounts.allowMemberRecoveryCodes })
      .from(accounts)
      .where(eq(accounts.id, actor.accountId));
    if (!team) throw new AppError("NOT_FOUND");
    return team;
  });
}
