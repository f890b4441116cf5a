import {
  addSeconds,
  EMAIL_VERIFICATION_TTL_IN_SECONDS,
  MAX_SIGN_UPS_PER_ADDRESS,
  MAX_SIGN_UPS_PER_EMAIL,
  SIGN_UP_WINDOW_IN_SECONDS,
} from "@cloud2fa/domain";
import { and, eq, isNull } from "drizzle-orm";
import { hashPassword } from "../../crypto/passwords.js";
import { createId, createToken } from "../../crypto/tokens.js";
import { isUniqueViolation } from "../../db/errors.js";
import { accounts, oneTimeTokens, users } from "../../db/schema/index.js";
import { signUpAttemptMessage, verifyEmailMessage } from "../../mail/messages.js";
import { recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { chargeThrottleKeys } from "../limits/password-throttle.js";
import { enqueueMail } from "../mail.js";
import { normalizeEmail } from "../users.js";

/**
 * S6: the same answer whether or not the address is taken, after the same argon2 work. A taken,
 * unverified address gets a fresh verification link carrying this sign-up's password (older links
 * die, so nobody's earlier password can be activated); a verified one a note to its owner. Sign-ups
 * mail whatever address they are given, so they are bounded per email and per client address.
 */
export async function signUpRoot({ deps, input, meta }: ServiceCall<{ email: string; password: string }>) {
  const now = deps.clock.now();
  const email = input.email.trim();
  const emailNormalized = normalizeEmail(email);
  const windowInSeconds = SIGN_UP_WINDOW_IN_SECONDS;
  await chargeThrottleKeys(
    deps.db,
    [
      { key: `sign-up:email:${emailNormalized}`, limit: { limit: MAX_SIGN_UPS_PER_EMAIL, windowInSeconds } },
      ...(meta.clientAddress
        ? [
            {
              key: `sign-up:address:${meta.clientAddress}`,
              limit: { limit: MAX_SIGN_UPS_PER_ADDRESS, windowInSeconds },
            },
          ]
        : []),
    ],
    now,
  );
  const passwordHash = await hashPassword(input.password);
  const settle = () =>
    deps.db.transaction(async (tx) => {
      const [existing] = await tx
        .select()
        .from(users)
        .where(and(eq(users.kind, "root"), eq(users.emailNormalized, emailNormalized)))
        .for("update");
      if (existing?.emailVerifiedAt) {
        await enqueueMail(tx, deps, signUpAttemptMessage(existing.email));
        return;
      }
      const userId = existing?.id ?? createId(deps.random, "usr");
      if (existing) {
        // S6 (pre-hijack): only the newest sign-up's link stays valid; the row locked above orders racing sign-ups.
        await tx
          .delete(oneTimeTokens)
          .where(
            and(
              eq(oneTimeTokens.userId, userId),
              eq(oneTimeTokens.purpose, "verify_email"),
              isNull(oneTimeTokens.consumedAt),
            ),
          );
        await tx.update(users).set({ passwordHash }).where(eq(users.id, userId));
      } else {
        const accountId = createId(deps.random, "acc");
        await tx.insert(accounts).values({ id: accountId, createdAt: now });
        await tx.insert(users).values({
          id: userId,
          accountId,
          kind: "root",
          email,
          emailNormalized,
          passwordHash,
          status: "active",
          createdAt: now,
        });
        await recordAuditEvent(tx, deps, {
          accountId,
          type: "root.signed_up",
          actor: null,
          subject: { id: userId, kind: "root", email },
          meta,
        });
      }
      const { token, tokenHash } = createToken(deps.random, 32);
      await tx.insert(oneTimeTokens).values({
        id: createId(deps.random, "tok"),
        purpose: "verify_email",
        userId,
        tokenHash,
        passwordHash,
        expiresAt: addSeconds(now, EMAIL_VERIFICATION_TTL_IN_SECONDS),
        createdAt: now,
      });
      const link = `${deps.settings.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
      await enqueueMail(tx, deps, verifyEmailMessage(existing?.email ?? email, link));
    });
  // S7: two first sign-ups of one address race to insert it; the loser runs again and finds the
  // winner's row (locked, unverified), so it answers 202 like any repeat sign-up instead of a 500.
  await settle().catch((error: unknown) => {
    if (isUniqueViolation(error)) return settle();
    throw error;
  });
}
