import { steppedUpUntil } from "@cloud2fa/domain";
import { and, eq, isNull } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { attemptCode } from "../two-factor/attempt-code.js";
import { consumeEnabledFactorMatch, enabledFactorSource } from "../two-factor/codes.js";
import { loadUser } from "../users.js";

/**
 * Step-up: a current code of the enabled factor (TOTP step consumed, S2; or the mailed action code)
 * stamps this session, opening the sensitive team actions for 10 minutes. S3 charges it first.
 */
export async function stepUp({
  deps,
  input,
  meta,
}: ServiceCall<{ userId: string; sessionId: string; code: string }>): Promise<{ steppedUpUntil: Date }> {
  const now = deps.clock.now();
  const loaded = await loadUser(deps.db, { id: input.userId });
  if (!loaded) throw new AppError("UNAUTHENTICATED");
  const factor = loaded.enabled;
  if (!factor) throw new AppError("NOT_FOUND", { message: "You have no two-factor authentication." });
  const subject = loaded.row;

  await attemptCode(deps, {
    subject,
    code: input.code,
    meta,
    purpose: "step_up",
    source: async () => enabledFactorSource(factor, subject.id),
    settle: async (tx, match) => {
      if (!(await consumeEnabledFactorMatch(tx, { userId: subject.id, match, now }))) return null;
      const stamped = await tx
        .update(sessions)
        .set({ steppedUpAt: now })
        .where(and(eq(sessions.id, input.sessionId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id });
      if (stamped.length === 0) return null;
      await recordAuditEvent(tx, deps, {
        accountId: subject.accountId,
        type: "two_factor.stepped_up",
        actor: partyOf(subject),
        subject: partyOf(subject),
        meta,
        detail: { method: match.kind },
      });
      return true;
    },
  });
  return { steppedUpUntil: steppedUpUntil(now) };
}
