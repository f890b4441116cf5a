import { canRemoveOwnTwoFactor } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { twoFactors } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { raiseAccessVersion } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { loadUser } from "../users.js";
import { attemptCode } from "./attempt-code.js";
import { consumeEnabledFactorMatch, enabledFactorSource } from "./codes.js";
import { notifyTwoFactorChange } from "./notify-change.js";
import { recipientsOf } from "./notify-security.js";

/** R10: the root user removes their own 2FA with a current valid code; R4: a member never can. */
export async function removeOwnTwoFactor({
  deps,
  input,
  meta,
}: ServiceCall<{ userId: string; code: string }>): Promise<void> {
  const now = deps.clock.now();
  const loaded = await loadUser(deps.db, { id: input.userId });
  if (!loaded) throw new AppError("UNAUTHENTICATED");
  const decision = canRemoveOwnTwoFactor(loaded.user, loaded.twoFactor);
  if (!decision.ok || !loaded.enabled) throw new AppError(decision.ok ? "NOT_FOUND" : decision.reason);
  const factor = loaded.enabled;
  const subject = loaded.row;

  await attemptCode(deps, {
    subject,
    code: input.code,
    meta,
    purpose: "removal",
    source: async () => enabledFactorSource(factor, subject.id),
    settle: async (tx, match) => {
      if (!(await consumeEnabledFactorMatch(tx, { userId: subject.id, match, now }))) return null;
      await tx.delete(twoFactors).where(eq(twoFactors.userId, subject.id));
      // R2: a sign-in that read the factor before this opens no challenge for it.
      await raiseAccessVersion(tx, subject.id);
      await recordAuditEvent(tx, deps, {
        accountId: subject.accountId,
        type: "two_factor.removed",
        actor: partyOf(subject),
        subject: partyOf(subject),
        meta,
        detail: { method: factor.method },
      });
      await notifyTwoFactorChange(tx, deps, await recipientsOf(tx, subject), {
        change: "removed",
        by: subject.email,
        at: now,
      });
      return true;
    },
  });
}
