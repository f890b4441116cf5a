import {
  addSeconds,
  canRequestEmailChange,
  EMAIL_CHANGE_TTL_IN_SECONDS,
  EMAIL_CHANGE_WINDOW_IN_SECONDS,
  MAX_EMAIL_CHANGES_PER_USER,
  RESET_TOKEN_BYTES,
} from "@cloud2fa/domain";
import { and, eq, ne } from "drizzle-orm";
import { createId, createToken, hashToken } from "../../crypto/tokens.js";
import { oneTimeTokens, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import {
  confirmEmailChangeMessage,
  emailChangeAddressTakenMessage,
  emailChangeRequestedMessage,
} from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { SessionUser } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { checkPasswordAgain } from "../limits/password-recheck.js";
import { chargeThrottleKeys } from "../limits/password-throttle.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp, stepUpStateOf } from "../step-up/require-step-up.js";
import { maskEmail } from "../two-factor/start-setup.js";
import { normalizeEmail } from "../users.js";

/**
 * §6.4: a pending change is bound to the password it was asked with (a fingerprint of its hash, in
 * the token row): a new password (§6.1 reset, §6.2 change) voids the link, which is how the owner
 * cancels a change someone else asked for.
 */
export function passwordFingerprint(passwordHash: string): string {
  return hashToken(`change_email:${passwordHash}`);
}

/**
 * §6.4: a root user asks to sign in with another address. The link goes to the new address, a notice
 * to the old one. S6: an address another root user signs in with gets the same 202 and the same
 * notice to the old address, but no link (its owner gets a note instead): the answer does not tell.
 */
export async function requestEmailChange({
  deps,
  input,
  meta,
}: ServiceCall<{ auth: SessionUser; newEmail: string; password: string }>): Promise<void> {
  const now = deps.clock.now();
  const { row } = input.auth;
  const newEmail = input.newEmail.trim();
  const newEmailNormalized = normalizeEmail(newEmail);
  const decision = canRequestEmailChange(row, {
    currentEmailNormalized: row.emailNormalized,
    newEmailNormalized,
  });
  if (!decision.ok && decision.reason === "VALIDATION_FAILED")
    throw new AppError("VALIDATION_FAILED", { message: "newEmail: this is already your sign-in address" });
  if (!decision.ok) throw new AppError(decision.reason);
  // An email-method root's codes go to this address: who changes it shows a current code first.
  requireStepUp(stepUpStateOf(input.auth), now);
  await checkPasswordAgain(deps, row, input.password, meta, { isPasswordOnPage: true });

  await deps.db.transaction(async (tx) => {
    // Two requests at once: one waits for the other, so only the newer link is left.
    const [current] = await tx.select().from(users).where(eq(users.id, row.id)).for("no key update");
    if (!current) throw new AppError("UNAUTHENTICATED");
    await chargeThrottleKeys(
      tx,
      [
        {
          key: `email-change:user:${row.id}`,
          limit: { limit: MAX_EMAIL_CHANGES_PER_USER, windowInSeconds: EMAIL_CHANGE_WINDOW_IN_SECONDS },
        },
      ],
      now,
    );
    // A newer request kills the older links, taken address or not (S6: the same effects either way).
    await tx
      .delete(oneTimeTokens)
      .where(and(eq(oneTimeTokens.userId, row.id), eq(oneTimeTokens.purpose, "change_email")));
    const [taken] = await tx
      .select({ email: users.email })
      .from(users)
      .where(
        and(eq(users.kind, "root"), eq(users.emailNormalized, newEmailNormalized), ne(users.id, row.id)),
      );
    if (taken) {
      await enqueueMail(tx, deps, emailChangeAddressTakenMessage(taken.email));
    } else {
      const { token, tokenHash } = createToken(deps.random, RESET_TOKEN_BYTES);
      await tx.insert(oneTimeTokens).values({
        id: createId(deps.random, "tok"),
        purpose: "change_email",
        userId: row.id,
        tokenHash,
        passwordHash: passwordFingerprint(current.passwordHash),
        newEmail,
        expiresAt: addSeconds(now, EMAIL_CHANGE_TTL_IN_SECONDS),
        createdAt: now,
      });
      const link = `${deps.settings.publicUrl}/confirm-email?token=${encodeURIComponent(token)}`;
      await enqueueMail(
        tx,
        deps,
        confirmEmailChangeMessage(newEmail, {
          link,
          maskedCurrentEmail: maskEmail(current.email),
          ttlInSeconds: EMAIL_CHANGE_TTL_IN_SECONDS,
        }),
      );
    }
    await enqueueMail(
      tx,
      deps,
      emailChangeRequestedMessage(current.email, { maskedNewEmail: maskEmail(newEmail), at: now, ...meta }),
    );
    await recordAuditEvent(tx, deps, {
      accountId: current.accountId,
      type: "account.email_change_requested",
      actor: partyOf(current),
      subject: partyOf(current),
      meta,
      detail: { to: newEmail },
    });
  });
}
