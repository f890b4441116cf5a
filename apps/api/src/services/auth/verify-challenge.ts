import { isCodeEntryLocked, SESSION_TOKEN_BYTES, type TwoFactorMethod } from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import type { KeyRing } from "../../crypto/secret-box.js";
import { createId, createToken } from "../../crypto/tokens.js";
import { inOneCommit } from "../../db/one-commit.js";
import { AppError } from "../../http/errors.js";
import type { MailMessage } from "../../mail/mailer.js";
import { auditEventInsertWhen, selfAuditOf } from "../audit/record-event.js";
import type { RequestMeta, ServiceCall } from "../context.js";
import { refuseCharge, toBudget } from "../limits/code-attempts.js";
import { auditEventsWithMailStatement, recordAuditEventsWithMail } from "../mail.js";
import {
  type CodeMatch,
  type EmailCodeCandidate,
  matchEmailCandidates,
  matchTotp,
} from "../two-factor/codes.js";
import {
  chargeFactorStreakStatement,
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
import { chargeChallengeCtes, openSessionCtes, rootEmailColumn } from "./challenge-statements.js";

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
 * The transaction's first statement: charge the challenge (S3, at most 5 per challenge), then the
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
      case when challenge.method = 'email' then coalesce((select json_agg(json_build_object('id', c.id,
          'keyId', c.key_id, 'codeHash', c.code_hash, 'purpose', c.purpose, 'bindingId', c.binding_id,
          'expiresAt', c.expires_at))
        from email_codes c where c.binding_id = ${challengeId} and c.consumed_at is null), '[]'::json)
        else '[]'::json end as "emailCodes"
    from challenge
    join users u on u.id = challenge.user_id
    left join budget on budget.user_id = challenge.user_id
    left join two_factors factor on factor.user_id = challenge.user_id
    left join streak on streak.user_id = challenge.user_id`;
}

/**
 * The settling statement of a right code, sent with the transaction's COMMIT: consume the step or the
 * email code (S2), then the challenge, then create the session, reset the budget and audit — each only
 * if the one before it happened. The charge earlier in the transaction holds the factor and challenge
 * rows locked, so nothing can have consumed, locked or removed them since it read them.
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
  /** S4 rotation: a secret sealed under an older key, sealed again under the first by this statement. */
  resealed: { from: string; to: string } | null;
}): SQL {
  const { match, now } = input;
  // Hard cap: the factor's update that takes the code resets its streak (also one this charge locked).
  const consume =
    match.kind === "totp"
      ? sql`consumed as (update two_factors set last_accepted_step = ${match.step}, ${resetFactorStreak}
          ${input.resealed ? sql`, ${resealedColumn(input.resealed)}` : sql``}
          where user_id = ${input.userId}
            and (last_accepted_step is null or last_accepted_step < ${match.step})
          returning user_id)`
      : sql`taken as (update email_codes set consumed_at = ${now.toISOString()}::timestamptz
          where id = ${match.emailCodeId} and consumed_at is null
          returning user_id),
        consumed as (update two_factors set ${resetFactorStreak}
          where user_id in (select user_id from taken) returning user_id)`;
  return sql`
    with ${consume},
    ${openSessionCtes({ ...input, audited: input.accepted })}
    select count(*)::int as "created" from session`;
}

type Verified =
  | { kind: "signed_in"; token: string; userId: string }
  | { kind: "uncharged" }
  | { kind: "over_budget"; userId: string }
  | { kind: "refused"; error: "CHALLENGE_EXPIRED" | "TWO_FACTOR_LOCKED" }
  | { kind: "wrong"; isLockingCharge: boolean; notices: MailMessage[] | null; charged: ChargedChallenge };

/**
 * R2, S1–S3: the code of a sign-in challenge, in one transaction with one commit (issue 18) and two
 * round trips. The attempt is charged before the code is checked (the first statement, sent with the
 * BEGIN); the session is created by the statement that consumes the code, sent with the COMMIT; a wrong
 * code's audit events and notices go with the COMMIT instead. Nothing is answered before the commit.
 */
export async function verifyChallenge({
  deps,
  input,
  meta,
}: ServiceCall<{ challengeId: string; code: string }>) {
  const now = deps.clock.now();
  const verified = await inOneCommit<Verified>(deps.db, async (tx) => {
    const [charged] = await tx.rows<ChargedChallenge>(
      chargeChallengeStatement(input.challengeId, now, deps.keys),
    );
    if (!charged) return { kind: "uncharged" };
    if (!charged.isCharged) return { kind: "over_budget", userId: charged.userId };
    if (charged.factorMethod !== charged.challengeMethod)
      return { kind: "refused", error: "CHALLENGE_EXPIRED" };
    // Hard cap: locked by a concurrent charge since this one's guard read it.
    if (charged.failedCodeStreak === null) return { kind: "refused", error: "TWO_FACTOR_LOCKED" };

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
    const audit = auditOf(charged, meta);
    if (match) {
      const sessionId = createId(deps.random, "ses");
      const { token, tokenHash } = createToken(deps.random, SESSION_TOKEN_BYTES);
      const accepted = auditEventInsertWhen(
        deps,
        audit("two_factor.code_accepted", codeDetailOf(charged)),
        sql`select 1 from session`,
      );
      const [settled] = await tx.rowsAndCommit<{ created: number }>(
        settleStatement({
          challengeId: input.challengeId,
          userId: charged.userId,
          match,
          sessionId,
          tokenHash,
          now,
          meta,
          accepted,
          resealed:
            match.kind === "totp"
              ? resealIfStale(deps, { userId: charged.userId, sealed: charged.sealedSecret })
              : null,
        }),
      );
      if (settled?.created === 1) return { kind: "signed_in", token, userId: charged.userId };
      // An email code killed by a resend between the charge and the settle: refused like a wrong one,
      // its events written after this commit.
      return { kind: "wrong", isLockingCharge: charged.isLockingCharge, notices: null, charged };
    }
    const { events, notices } = refusalOf(charged, now, meta);
    await tx.rowsAndCommit(auditEventsWithMailStatement(deps, events, notices));
    return { kind: "wrong", isLockingCharge: charged.isLockingCharge, notices, charged };
  });

  switch (verified.kind) {
    case "signed_in":
      return { token: verified.token, userId: verified.userId };
    case "uncharged":
      return refuseUnchargedChallenge(deps.db, {
        challengeId: input.challengeId,
        now,
        rootMayRecover: false,
        keys: deps,
      });
    case "over_budget":
      return refuseCharge(deps.db, verified.userId, now);
    case "refused":
      throw new AppError(verified.error);
    case "wrong":
      if (verified.notices === null) {
        const { events, notices } = refusalOf(verified.charged, now, meta);
        await recordAuditEventsWithMail(deps.db, deps, events, notices);
      }
      if (verified.isLockingCharge) throw new AppError("TWO_FACTOR_LOCKED");
      throw new AppError("INVALID_CODE");
  }
}

/** The events of a sign-in code are the user's own (actor and subject); a code's detail is its use. */
function auditOf(charged: ChargedChallenge, meta: RequestMeta) {
  const party = { id: charged.userId, kind: charged.kind, email: charged.email };
  return selfAuditOf({ accountId: charged.accountId, party, meta });
}
const codeDetailOf = (charged: ChargedChallenge) => ({ purpose: "sign_in", method: charged.challengeMethod });

/** A wrong code's audit events and notices (the first wrong code of a challenge, a lock, the hard cap). */
function refusalOf(charged: ChargedChallenge, now: Date, meta: RequestMeta) {
  const audit = auditOf(charged, meta);
  const budget = toBudget(charged);
  const lockedUntil = isCodeEntryLocked(budget, now) ? budget.lockedUntil : null;
  const recipients = { subjectEmail: charged.email, rootEmail: charged.rootEmail };
  const facts = { at: now, meta };
  const events = [
    audit("two_factor.code_rejected", codeDetailOf(charged)),
    ...(lockedUntil ? [audit("two_factor.locked", { lockedUntil: lockedUntil.toISOString() })] : []),
    ...(charged.isLockingCharge
      ? [audit("two_factor.factor_locked", { failedCodes: charged.failedCodeStreak })]
      : []),
  ];
  const notices = [
    ...(charged.challengeAttemptCount === 1 ? failedSignInCodeNotices(recipients, facts) : []),
    ...(lockedUntil ? codeEntryLockedNotices(recipients, { ...facts, lockedUntil }) : []),
    ...(charged.isLockingCharge
      ? factorLockedNotices(recipients, { ...facts, subjectKind: charged.kind })
      : []),
  ];
  return { events, notices };
}
