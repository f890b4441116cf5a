import {
  addSeconds,
  CHALLENGE_TTL_IN_SECONDS,
  canSignIn,
  EMAIL_CODE_TTL_IN_SECONDS,
  mayRecoverLockedFactor,
  memberEnrolment,
  SESSION_TOKEN_BYTES,
  type TwoFactorMethod,
} from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { burnPasswordCheck, verifyPassword } from "../../crypto/passwords.js";
import { createId, createToken } from "../../crypto/tokens.js";
import { asDate, queryRows } from "../../db/connect.js";
import { signInChallenges } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { emailCodeMessage } from "../../mail/messages.js";
import type { ServiceCall } from "../context.js";
import {
  type PasswordThrottle,
  passwordThrottleOf,
  recordPasswordFailure,
  refundPasswordAttemptStatement,
  refusePasswordAttempt,
  reservePasswordAttemptStatement,
} from "../limits/password-throttle.js";
import { sendMail } from "../mail.js";
import { issueEmailCode } from "../two-factor/codes.js";
import { normalizeEmail, toDomainUser, type UserRow } from "../users.js";

export type LogInInput =
  | { kind: "root"; email: string; password: string }
  | { kind: "member"; accountId: string; email: string; password: string };

export type LogInResult =
  | { status: "authenticated"; token: string; userId: string; enrolmentRequired?: true }
  | { status: "two_factor_required"; challengeId: string; method: TwoFactorMethod; isLocked?: true };

interface Candidate {
  isReserved: boolean;
  id: string | null;
  accountId: string;
  kind: "root" | "member";
  email: string;
  passwordHash: string;
  emailVerifiedAt: string | null;
  status: UserRow["status"];
  roles: string[];
  isSso: boolean;
  factorMethod: TwoFactorMethod | null;
  isFactorLocked: boolean;
  requireMemberTwoFactor: boolean | null;
  memberTwoFactorDeadline: string | null;
}

/** Round trip 1, one statement: reserve the password attempt (S3) and find the user with its factor. */
function findCandidateStatement(input: LogInInput, throttle: PasswordThrottle, now: Date): SQL {
  const emailNormalized = normalizeEmail(input.email);
  const match =
    input.kind === "root"
      ? sql`u.kind = 'root' and u.email_normalized = ${emailNormalized}`
      : sql`u.kind = 'member' and u.account_id = ${input.accountId} and u.email_normalized = ${emailNormalized}`;
  return sql`
    with reserved as (${reservePasswordAttemptStatement(throttle, now)})
    select exists (select 1 from reserved) as "isReserved",
      u.id, u.account_id as "accountId", u.kind, u.email, u.password_hash as "passwordHash",
      u.email_verified_at as "emailVerifiedAt", u.status, u.roles, u.is_sso as "isSso",
      factor.method as "factorMethod", factor.locked_at is not null as "isFactorLocked",
      team.require_member_two_factor as "requireMemberTwoFactor",
      team.member_two_factor_deadline as "memberTwoFactorDeadline"
    from (select 1) as one
    left join users u on ${match}
    left join two_factors factor on factor.user_id = u.id
    left join accounts team on team.id = u.account_id`;
}

/**
 * S6: an unknown email and a wrong password answer alike, after the same argon2 work.
 * R2: with 2FA enabled the password only opens a challenge, never a session.
 * Two round trips besides the password hash (an emailed code takes more: the refund, then the code
 * with its mail budget in one transaction).
 */
export async function logIn({ deps, input, meta }: ServiceCall<LogInInput>): Promise<LogInResult> {
  const now = deps.clock.now();
  const emailNormalized = normalizeEmail(input.email);
  const throttle = passwordThrottleOf({ ...input, emailNormalized }, meta.clientAddress);
  const [candidate] = await queryRows<Candidate>(deps.db, findCandidateStatement(input, throttle, now));
  if (!candidate?.isReserved) return refusePasswordAttempt(deps.db, throttle, now);
  const isPasswordRight = candidate.id
    ? await verifyPassword(candidate.passwordHash, input.password)
    : await burnPasswordCheck(input.password);
  if (!candidate.id || !isPasswordRight) {
    await recordPasswordFailure(deps.db, throttle, now);
    throw new AppError("INVALID_CREDENTIALS");
  }
  const userId = candidate.id;
  const user = toDomainUser({
    ...candidate,
    id: userId,
    emailNormalized,
    emailVerifiedAt: asDate(candidate.emailVerifiedAt),
    remark: "",
    createdAt: now,
  });
  const refund = refundPasswordAttemptStatement(throttle);
  const allowed = canSignIn(user);
  if (!allowed.ok) {
    await queryRows(deps.db, refund);
    throw new AppError(allowed.reason);
  }

  const method = candidate.factorMethod; // R2: an enabled factor means a challenge.
  if (method === null) {
    const sessionId = createId(deps.random, "ses");
    const { token, tokenHash } = createToken(deps.random, SESSION_TOKEN_BYTES);
    await queryRows(
      deps.db,
      sql`
      with refund as (${refund})
      insert into sessions (id, token_hash, user_id, created_at, last_seen_at)
      values (${sessionId}, ${tokenHash}, ${userId}, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)`,
    );
    const policy = {
      required: candidate.requireMemberTwoFactor === true,
      deadline: asDate(candidate.memberTwoFactorDeadline),
    };
    // Require 2FA for members: the session opens, restricted to the setup (the guard reads the policy live).
    const enrolment = memberEnrolment({ policy, user, hasTwoFactor: false }, now);
    return enrolment.state === "required_now"
      ? { status: "authenticated", token, userId, enrolmentRequired: true }
      : { status: "authenticated", token, userId };
  }
  // Hard cap: a locked factor checks no code, so none is mailed. A member hears it now; a root user
  // gets the challenge for a recovery code, told that it is locked.
  if (candidate.isFactorLocked && !mayRecoverLockedFactor(user.kind)) {
    await queryRows(deps.db, refund);
    throw new AppError("TWO_FACTOR_LOCKED");
  }
  const challengeId = createId(deps.random, "chl");
  const expiresAt = addSeconds(now, CHALLENGE_TTL_IN_SECONDS);
  if (method === "totp" || candidate.isFactorLocked) {
    await queryRows(
      deps.db,
      sql`
      with refund as (${refund})
      insert into sign_in_challenges (id, user_id, method, expires_at, attempt_count, created_at)
      values (${challengeId}, ${userId}, ${method}, ${expiresAt.toISOString()}::timestamptz, 0, ${now.toISOString()}::timestamptz)`,
    );
    return candidate.isFactorLocked
      ? { status: "two_factor_required", challengeId, method, isLocked: true }
      : { status: "two_factor_required", challengeId, method };
  }
  // S3: the refund commits on its own, so a mail budget that refuses the code does not undo it.
  await queryRows(deps.db, refund);
  const code = await deps.db.transaction(async (tx) => {
    await tx.insert(signInChallenges).values({ id: challengeId, userId, method, expiresAt, createdAt: now });
    return issueEmailCode(tx, deps, {
      send: "first",
      userId,
      purpose: "sign_in",
      bindingId: challengeId,
      now,
      expiresAt,
    });
  });
  await sendMail(
    deps,
    emailCodeMessage(candidate.email, { code, purpose: "sign_in", ttlInSeconds: EMAIL_CODE_TTL_IN_SECONDS }),
  );
  return { status: "two_factor_required", challengeId, method };
}
