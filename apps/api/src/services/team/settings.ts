import { canChangeTeamSettings, canHaveRecoveryCodes, type StepUpState } from "@cloud2fa/domain";
import { and, eq, inArray } from "drizzle-orm";
import type { Queryable } from "../../db/connect.js";
import { accounts, recoveryCodes, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { RequestMeta, ServiceCall } from "../context.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import { toDomainUser, type UserRow } from "../users.js";

export interface TeamSettings {
  allowMemberRecoveryCodes: boolean;
}

async function selectSettings(q: Queryable, accountId: string): Promise<TeamSettings> {
  const [team] = await q
    .select({ allowMemberRecoveryCodes: accounts.allowMemberRecoveryCodes })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  if (!team) throw new AppError("NOT_FOUND");
  return team;
}

export function readTeamSettings(deps: Deps, accountId: string): Promise<TeamSettings> {
  return selectSettings(deps.db, accountId);
}

/**
 * Before any change of the team's settings (the Require-2FA policy among them): the root user's
 * alone, with a valid code within the last 10 minutes (step-up).
 */
export function authorizeTeamSettingsChange(
  deps: Deps,
  input: { actor: UserRow; stepUp: StepUpState },
): void {
  const allowed = canChangeTeamSettings(toDomainUser(input.actor));
  if (!allowed.ok) throw new AppError(allowed.reason);
  requireStepUp(input.stepUp, deps.clock.now());
}

/** S8: one `team.settings_changed` event, with what changed as its detail. */
export function recordTeamSettingsChanged(
  tx: Queryable,
  deps: Deps,
  input: { actor: UserRow; meta: RequestMeta; detail: Record<string, unknown> },
): Promise<void> {
  return recordAuditEvent(tx, deps, {
    accountId: input.actor.accountId,
    type: "team.settings_changed",
    actor: partyOf(input.actor),
    subject: null,
    meta: input.meta,
    detail: input.detail,
  });
}

/** The recovery-code setting; turning it off revokes the codes members hold. */
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
  authorizeTeamSettingsChange(deps, input);
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
      await recordTeamSettingsChanged(tx, deps, { actor, meta, detail: settings });
    }
    return selectSettings(tx, actor.accountId);
  });
}
