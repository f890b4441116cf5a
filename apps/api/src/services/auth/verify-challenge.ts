import { isCodeEntryLocked, SESSION_TOKEN_BYTES, type TwoFactorMethod } from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import type { KeyRing } from "../../crypto/secret-box.js";
import { createId, createToken } from "../../crypto/tokens.js";
import { queryRows } from "../../db/connect.js";
import { AppError } from "../../http/errors.js";
import { auditEventInsertWhen, selfAuditOf } from "../audit/record-event.js";
import type { RequestMeta, ServiceCall } from "../context.js";
import { refuseCharge, toBudget } from "../limits/code-attempts.js";
import { recordAuditEventsWithMail } from "../mail.js";
import {
  type CodeMatch,
  type EmailCodeCandidate,
  matchEmailCandidates,
  matchTotp,
} from "../two-factor/codes.js";
import {
  chargeFactorStreakStatement,
  isFactorOpenFor,
  refuseUnchargedChallenge,
  resetFactorStreak,
} from "../two-factor/factor-streak.js";
import {
  codeEntryLockedNotices,
  factorLockedNotices,
  failedSignInCodeNotices,
} from "../two-factor/notify-security.js";
import {
  isColumnSealedUnderConfiguredKey,
  resealedColumn,
  resealIfStale,
} from "../two-factor/sealed-secrets.js";
import {
  chargeChallengeCtes,
  liveChallengeCtes,
  openSessionCtes,
  rootEmailColumn,
} from "./challenge-statements.js";

interface ChargedChallenge {
  userId: string;
  challengeMethod: TwoFactorMethod;
  isCharged: boolean;
  count: number | null;
  windowStartedAt: string | null;
  lockedUntil: string | null;
  factorMethod: TwoFactorMethod | null;
  sealedSecret: string | null;
  lastAcceptedStep: string | null;
  email: string;
  accountId: string;
  kind: "root" | "member";
  rootEmail: string | null;
  challengeAttemptCount: number;
  failedCodeStreak: number | null;
  isLockingCharge: boolean;
  emailCodes: (Omit<EmailCodeCandidate, "expiresAt" | "consumedAt"> & { expiresAt: string })[];
}

/**
 * Round trip 1, one statement: charge the challenge (S3, at most 5 per challenge), then the
 * user's budget (S3), then the factor's streak (hard cap), and read what checking the code needs —
 * and what a wrong code's notices need (the root user's address for a member, the challenge's
 * attempt count), so they cost no round trip.
 */
function chargeChallengeStatement(challengeId: string, now: Date, keys: KeyRing): SQL {
  const isCheckable = isColumnSealedUnderConfiguredKey(sql`f.secret_ciphertext`, keys);
  return sql`
    with ${chargeChallengeCtes(challengeId, now, false, isCheckable)},
    streak as (${chargeFactorStreakStatement(sql`select user_id from budget`, now)})
    select challenge.user_id as "userId", challenge.method as "challengeMethod",
      budget.user_id is not null as "isCharged", budget.count::int as "count",
      budget.window_started_at as "windowStartedAt", budget.locked_until as "lockedUntil",
      factor.method as "factorMethod", factor.secret_ciphertext as "sealedSecret",
      factor.last_accepted_step::text as "lastAcceptedStep",
      u.email, u.account_id as "accountId", u.kind,
      ${rootEmailColumn},
      challenge.attempt_count::int as "challengeAttemptCount",
      streak.failed_code_streak::int as "failedCodeStreak", streak.locked_at is not null as "isLockingCharge",
      coalesce((select json_agg(json_build_object('id', c.id, 'keyId', c.key_id, 'codeHash', c.code_hash,
          'purpose', c.purpose, 'bindingId', c.binding_id, 'expiresAt', c.expires_at))
        from email_codes c where c.binding_id = ${challengeId} and c.consumed_at is null), '[]'::json) as "emailCodes"
    from challenge
    join users u on u.id = challenge.user_id
    left join budget on budget.user_id = challenge.user_id
    left join two_factors factor on factor.user_id = challenge.user_id
    left join streak on streak.user_id = challenge.user_id`;
}

/**
 * Round trip 2 on success, one statement: lock the factor and the live challenge, consume the step
 * or email code (S2) only if both are there, then the challenge,
 * then create the session, reset the budget and audit — each only if the one before it happened.
 */
function settleStatement(input: {
  challengeId: string;
  userId: string;
  match: CodeMatch;
  sessionId: string;
  tokenHash: string;
  now: Date;
  meta: RequestMeta;
  accepted: SQL;
  isLockingCharge: boolean;
  /** S4 rotation: a secret sealed under an older key, sealed again under the first by this statement. */
  resealed: { from: string; to: string } | null;
}): SQL {
  const { match, now } = input;
  // Hard cap: the factor's update that takes the code resets its streak, unless it locked meanwhile.
  const isOpen = isFactorOpenFor(input.isLockingCharge);
  const consume =
    match.kind === "totp"
      ? sql`consumed as (update two_factors set last_accepted_step = ${match.step}, ${resetFactorStreak}
          ${input.resealed ? sql`, ${resealedColumn(input.resealed)}` : sql``}
          where user_id in (select user_id from live)
            and (last_accepted_step is null or last_accepted_step < ${match.step})
          returning user_id)`
      : sql`taken as (update email_codes set consumed_at = ${now.toISOString()}::timestamptz
          where id = ${match.emailCodeId} and consumed_at is null and exists (select 1 from live)
          returning user_id),
        consumed as (update two_factors set ${resetFactorStreak}
          where user_id in (select user_id from taken) returning user_id)`;
  return sql`
    with ${liveChallengeCtes({ challengeId: input.challengeId, userId: input.userId, isOpen })},
    ${consume},
    ${openSessionCtes({ ...input, audited: input.accepted })}
    select count(*)::int as "created" from session`;
}

/**
 * R2, S1–S3: the code of a sign-in challenge, in two round trips. The attempt is charged before the
 * code is checked; the session is created by the statement that consumes the code.
 */
export async function verifyChallenge({
  deps,
  input,
  meta,
}: ServiceCall<{ challengeId: string; code: string }>) {
  const now = deps.clock.now();
  const [charged] = await queryRows<ChargedChallenge>(
    deps.db,
    chargeChallengeStatement(input.challengeId, now, deps.keys),
  );
  if (!charged) {
    return refuseUnchargedChallenge(deps.db, {
      challengeId: input.challengeId,
      now,
      rootMayRecover: false,
      keys: deps,
    });
  }
  if (!charged.isCharged) await refuseCharge(deps.db, charged.userId, now);
  if (charged.factorMethod !== charged.challengeMethod) throw new AppError("CHALLENGE_EXPIRED");
  // Hard cap: locked by a concurrent charge since this one's guard read it.
  if (charged.failedCodeStreak === null) throw new AppError("TWO_FACTOR_LOCKED");

  const match =
    charged.challengeMethod === "totp"
      ? matchTotp(deps, {
          userId: charged.userId,
          sealedSecret: charged.sealedSecret,
          lastAcceptedStep: charged.lastAcceptedStep === null ? null : Number(charged.lastAcceptedStep),
          code: input.code,
          now,
        })
      : matchEmailCandidates(
          deps,
          charged.emailCodes.map((candidate) => ({
            ...candidate,
            expiresAt: new Date(candidate.expiresAt),
            consumedAt: null,
          })),
          { purpose: "sign_in", bindingId: input.challengeId, code: input.code, now },
        );

  const party = { id: charged.userId, kind: charged.kind, email: charged.email };
  const audit = selfAuditOf({ accountId: charged.accountId, party, meta });
  const detail = { purpose: "sign_in", method: charged.challengeMethod };
  if (match) {
    const sessionId = createId(deps.random, "ses");
    const { token, tokenHash } = createToken(deps.random, SESSION_TOKEN_BYTES);
    const accepted = auditEventInsertWhen(
      deps,
      audit("two_factor.code_accepted", detail),
      sql`select 1 from session`,
    );
    const [settled] = await queryRows<{ created: number }>(
      deps.db,
      settleStatement({
        challengeId: input.challengeId,
        userId: charged.userId,
        match,
        sessionId,
        tokenHash,
        now,
        meta,
        accepted,
        isLockingCharge: charged.isLockingCharge,
        resealed:
          match.kind === "totp"
            ? resealIfStale(deps, { userId: charged.userId, sealed: charged.sealedSecret })
            : null,
      }),
    );
    if (settled?.created === 1) return { token, userId: charged.userId };
  }
  const budget = toBudget(charged);
  const lockedUntil = isCodeEntryLocked(budget, now) ? budget.lockedUntil : null;
  const recipients = { subjectEmail: charged.email, rootEmail: charged.rootEmail };
  const facts = { at: now, meta };
  await recordAuditEventsWithMail(
    deps.db,
    deps,
    [
      audit("two_factor.code_rejected", detail),
      ...(lockedUntil ? [audit("two_factor.locked", { lockedUntil: lockedUntil.toISOString() })] : []),
      ...(charged.isLockingCharge
        ? [audit("two_factor.factor_locked", { failedCodes: charged.failedCodeStreak })]
        : []),
    ],
    [
      ...(charged.challengeAttemptCount === 1 ? failedSignInCodeNotices(recipients, facts) : []),
      ...(lockedUntil ? codeEntryLockedNotices(recipients, { ...facts, lockedUntil }) : []),
      ...(charged.isLockingCharge
        ? factorLockedNotices(recipients, { ...facts, subjectKind: charged.kind })
        : []),
    ],
  );
  if (charged.isLockingCharge) throw new AppError("TWO_FACTOR_LOCKED");
  throw new AppError("INVALID_CODE");
}
