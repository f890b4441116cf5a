import {
  addSeconds,
  CHALLENGE_TTL_IN_SECONDS,
  canSignIn,
  EMAIL_CODE_TTL_IN_SECONDS,
  secondFactorRequired,
} from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { burnPasswordCheck, verifyPassword } from "../../crypto/passwords.js";
import { createId } from "../../crypto/tokens.js";
import { signInChallenges, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { emailCodeMessage } from "../../mail/messages.js";
import type { ServiceCall } from "../context.js";
import {
  chargePasswordAttempt,
  passwordThrottleKeys,
  settlePasswordAttempt,
} from "../limits/password-throttle.js";
import { sendMail } from "../mail.js";
import { issueEmailCode } from "../two-factor/codes.js";
import { loadUser, normalizeEmail } from "../users.js";
import { createSession } from "./sessions.js";

export type LogInInput =
  | { kind: "root"; email: string; password: string }
  | { kind: "member"; accountId: string; email: string; password: string };

export type LogInResult =
  | { status: "authenticated"; token: string; userId: string }
  | { status: "two_factor_required"; challengeId: string; method: "totp" | "email" };

/**
 * S6: an unknown email and a wrong password answer alike, after the same argon2 work.
 * R2: with 2FA enabled the password only opens a challenge, never a session.
 */
export async function logIn({ deps, input, meta }: ServiceCall<LogInInput>): Promise<LogInResult> {
  const now = deps.clock.now();
  const emailNormalized = normalizeEmail(input.email);
  const accountKey =
    input.kind === "root" ? `root:${emailNormalized}` : `member:${input.accountId}:${emailNormalized}`;
  const throttleKeys = passwordThrottleKeys(accountKey, meta.clientAddress);
  await chargePasswordAttempt(deps.db, throttleKeys, now);

  const [row] = await deps.db
    .select()
    .from(users)
    .where(
      input.kind === "root"
        ? and(eq(users.kind, "root"), eq(users.emailNormalized, emailNormalized))
        : and(
            eq(users.kind, "member"),
            eq(users.accountId, input.accountId),
            eq(users.emailNormalized, emailNormalized),
          ),
    );
  const isPasswordRight = row
    ? await verifyPassword(row.passwordHash, input.password)
    : await burnPasswordCheck(input.password);
  await settlePasswordAttempt(deps.db, throttleKeys, { isSuccess: Boolean(row && isPasswordRight), now });
  if (!row || !isPasswordRight) throw new AppError("INVALID_CREDENTIALS");

  const loaded = await loadUser(deps.db, { id: row.id });
  if (!loaded) throw new AppError("INVALID_CREDENTIALS");
  const allowed = canSignIn(loaded.user);
  if (!allowed.ok) throw new AppError(allowed.reason);

  const method = secondFactorRequired(loaded.twoFactor);
  if (method === null) {
    const { token } = await createSession(deps.db, deps, row.id);
    return { status: "authenticated", token, userId: row.id };
  }
  const challengeId = createId(deps.random, "chl");
  const expiresAt = addSeconds(now, CHALLENGE_TTL_IN_SECONDS);
  const code = await deps.db.transaction(async (tx) => {
    await tx
      .insert(signInChallenges)
      .values({ id: challengeId, userId: row.id, method, expiresAt, createdAt: now });
    if (method !== "email") return null;
    return issueEmailCode(tx, deps, {
      send: "first",
      userId: row.id,
      purpose: "sign_in",
      bindingId: challengeId,
      now,
      expiresAt,
    });
  });
  if (code !== null) {
    await sendMail(
      deps,
      emailCodeMessage(row.email, { code, purpose: "sign_in", ttlInSeconds: EMAIL_CODE_TTL_IN_SECONDS }),
    );
  }
  return { status: "two_factor_required", challengeId, method };
}
