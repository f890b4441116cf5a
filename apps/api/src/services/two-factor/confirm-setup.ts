import { canConfirmSetup } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { sessions, twoFactorSetups, twoFactors, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { loadUser, toDomainUser, twoFactorSummary } from "../users.js";
import { attemptCode } from "./attempt-code.js";
import { consumeEmailCode } from "./codes.js";
import { notifyTwoFactorChange } from "./notify-change.js";
import { recipientsOf } from "./notify-security.js";
import { isRecoveryCodeHolder, issueRecoveryCodes } from "./recovery-codes.js";

/**
 * R8: the setup becomes active only with a valid code of its method; the confirmed step becomes the
 * last accepted one (S2). Enabling revokes the user's other sessions (S5) and mails (R11).
 */
export async function confirmSetup({
  deps,
  input,
  meta,
}: ServiceCall<{ userId: string; sessionId: string; code: string }>): Promise<{
  twoFactor: ReturnType<typeof twoFactorSummary>;
  recoveryCodes: string[] | null;
}> {
  const now = deps.clock.now();
  const loaded = await loadUser(deps.db, { id: input.userId });
  if (!loaded) throw new AppError("UNAUTHENTICATED");
  const decision = canConfirmSetup(loaded.user, loaded.twoFactor, now);
  if (!decision.ok || !loaded.setup) throw new AppError(decision.ok ? "NO_PENDING_SETUP" : decision.reason);
  const setup = loaded.setup;
  const subject = loaded.row;

  const confirmed = await attemptCode(deps, {
    subject,
    code: input.code,
    meta,
    purpose: "setup",
    source: async () =>
      setup.method === "totp"
        ? { kind: "totp", sealedSecret: setup.secretCiphertext, lastAcceptedStep: null }
        : { kind: "email", purpose: "setup", bindingId: setup.id },
    settle: async (tx, match) => {
      // The user's row first, as the team actions take it: a concurrent SSO flag, status change or
      // Remove 2FA then waits or is waited for, never deadlocks (S7), and R1/R6 are checked again.
      const [locked] = await tx.select().from(users).where(eq(users.id, subject.id)).for("no key update");
      if (!locked || !canConfirmSetup(toDomainUser(locked), loaded.twoFactor, now).ok) return null;
      const [taken] = await tx
        .delete(twoFactorSetups)
        .where(and(eq(twoFactorSetups.userId, subject.id), eq(twoFactorSetups.id, setup.id)))
        .returning({ id: twoFactorSetups.id });
      if (!taken) return null;
      if (match.kind === "email" && !(await consumeEmailCode(tx, match.emailCodeId, now))) return null;
      const inserted = await tx
        .insert(twoFactors)
        .values({
          userId: subject.id,
          method: setup.method,
          secretCiphertext: setup.secretCiphertext,
          enabledAt: now,
          lastAcceptedStep: match.kind === "totp" ? match.step : null,
        })
        .onConflictDoNothing()
        .returning();
      const [enabled] = inserted;
      if (!enabled) return null;
      await revokeUserAccess(tx, {
        userId: subject.id,
        now,
        exceptSessionId: input.sessionId,
      });
      // Step-up: the confirming code counts for this session.
      await tx.update(sessions).set({ steppedUpAt: now }).where(eq(sessions.id, input.sessionId));
      await recordAuditEvent(tx, deps, {
        accountId: subject.accountId,
        type: "two_factor.enabled",
        actor: partyOf(subject),
        subject: partyOf(subject),
        meta,
        detail: { method: setup.method },
      });
      // Shown once, in this answer only: everything the answer shows is read here, before the commit.
      const recoveryCodes = (await isRecoveryCodeHolder(tx, subject))
        ? await issueRecoveryCodes(tx, deps, { userId: subject.id, now })
        : [];
      await notifyTwoFactorChange(tx, deps, await recipientsOf(tx, subject), {
        change: "enabled",
        by: subject.email,
        at: now,
      });
      return { recoveryCodes, enabled };
    },
  });
  return {
    twoFactor: twoFactorSummary(confirmed.enabled),
    recoveryCodes: confirmed.recoveryCodes.length > 0 ? confirmed.recoveryCodes : null,
  };
}
