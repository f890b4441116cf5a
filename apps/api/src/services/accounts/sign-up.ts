import {
  addSeconds,
  EMAIL_VERIFICATION_TTL_IN_SECONDS,
  MAX_SIGN_UPS_PER_ADDRESS,
  MAX_SIGN_UPS_PER_EMAIL,
  SIGN_UP_WINDOW_IN_SECONDS,
} from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { hashPassword } from "../../crypto/passwords.js";
import { createId, createToken } from "../../crypto/tokens.js";
import type { Queryable } from "../../db/connect.js";
import { isUniqueViolation } from "../../db/errors.js";
import { accounts, oneTimeTokens, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { signUpAttemptMessage, verifyEmailMessage } from "../../mail/messages.js";
import { recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { chargeThrottleKeys } from "../limits/password-throttle.js";
import { enqueueMail } from "../mail.js";
import { normalizeEmail } from "../users.js";
import { requireStrongPassword } from "./password-rules.js";

/** The sign-up mail throttles: per email and per client address, since each sign-up mails an address. */
export function signUpThrottleKeys(emailNormalized: string, clientAddress: string | null) {
  const windowInSeconds = SIGN_UP_WINDOW_IN_SECONDS;
  return [
    { key: `sign-up:email:${emailNormalized}`, limit: { limit: MAX_SIGN_UPS_PER_EMAIL, windowInSeconds } },
    ...(clientAddress
      ? [
          {
            key: `sign-up:address:${clientAddress}`,
            limit: { limit: MAX_SIGN_UPS_PER_ADDRESS, windowInSeconds },
          },
        ]
      : []),
  ];
}

/**
 * A pending sign-up (S6): a verification link carrying the password chosen with it. The link
 * proves the mailbox; the password typed on its page picks which pending sign-up is activated.
 */
export async function insertVerificationLink(
  tx: Queryable,
  deps: Pick<Deps, "random" | "settings">,
  input: { userId: string; passwordHash: string; now: Date },
): Promise<string> {
  const { token, tokenHash } = createToken(deps.random, 32);
  await tx.insert(oneTimeTokens).values({
    id: createId(deps.random, "tok"),
    purpose: "verify_email",
    userId: input.userId,
    tokenHash,
    passwordHash: input.passwordHash,
    expiresAt: addSeconds(input.now, EMAIL_VERIFICATION_TTL_IN_SECONDS),
    createdAt: input.now,
  });
  return `${deps.settings.publicUrl}/verify-email?token=${encodeURIComponent(token)}`;
}

/**
 * S6: the same answer whether or not the address is taken, after the same argon2 work. A taken,
 * unverified address gets one more pending sign-up, with its own password and link; the earlier ones
 * stay valid, so a stranger's sign-up cannot void the owner's link, and the owner's link activates
 * only a password the owner types (verify-email.ts). A verified address gets a note to its owner.
 */
export async function signUpRoot({ deps, input, meta }: ServiceCall<{ email: string; password: string }>) {
  const now = deps.clock.now();
  const email = input.email.trim();
  requireStrongPassword(input.password, { email, field: "password" }); // §6.3, before anything is charged
  const emailNormalized = normalizeEmail(email);
  await chargeThrottleKeys(deps.db, signUpThrottleKeys(emailNormalized, meta.clientAddress), now);
  const passwordHash = await hashPassword(input.password, deps.passwordHashCost);
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
        // The newest sign-up's password is the one a sign-in answers with a fresh link (log-in.ts).
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
      const link = await insertVerificationLink(tx, deps, { userId, passwordHash, now });
      await enqueueMail(tx, deps, verifyEmailMessage(existing?.email ?? email, link));
    });
  // S7: two first sign-ups of one address race to insert it; the loser runs again and finds the
  // winner's row (locked, unverified), so it answers 202 like any repeat sign-up instead of a 500.
  await settle().catch((error: unknown) => {
    if (isUniqueViolation(error)) return settle();
    throw error;
  });
}
