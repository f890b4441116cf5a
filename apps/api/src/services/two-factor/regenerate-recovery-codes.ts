import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { loadUser } from "../users.js";
import { attemptCode } from "./attempt-code.js";
import { consumeEnabledFactorMatch, enabledFactorSource } from "./codes.js";
import { isRecoveryCodeHolder, issueRecoveryCodes } from "./recovery-codes.js";

/** A new set of recovery codes, only with a valid code of the enabled factor (S3 charged); the old set dies. */
export async function regenerateRecoveryCodes({
  deps,
  input,
  meta,
}: ServiceCall<{ userId: string; code: string }>): Promise<string[]> {
  const now = deps.clock.now();
  const loaded = await loadUser(deps.db, { id: input.userId });
  if (!loaded) throw new AppError("UNAUTHENTICATED");
  const factor = loaded.enabled;
  if (!factor) throw new AppError("NOT_FOUND");
  const subject = loaded.row;
  if (!(await isRecoveryCodeHolder(deps.db, subject))) throw new AppError("FORBIDDEN");

  return attemptCode(deps, {
    subject,
    code: input.code,
    meta,
    purpose: "recovery_codes",
    source: async () => enabledFactorSource(factor, subject.id),
    settle: async (tx, match) => {
      if (!(await consumeEnabledFactorMatch(tx, { userId: subject.id, match, now }))) return null;
      const codes = await issueRecoveryCodes(tx, deps, { userId: subject.id, now });
      await recordAuditEvent(tx, deps, {
        accountId: subject.accountId,
        type: "two_factor.recovery_codes_regenerated",
        actor: partyOf(subject),
        subject: partyOf(subject),
        meta,
      });
      return codes;
    },
  });
}
