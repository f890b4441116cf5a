import { isCodeEntryLocked, SESSION_TOKEN_BYTES } from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { createId, createToken } from "../../crypto/tokens.js";
import { queryRows } from "../../db/connect.js";
import { AppError } from "../../http/errors.js";
import { auditEventInsertWhen, selfAuditOf } from "../audit/record-event.js";
import type { RequestMeta, ServiceCall } from "../context.js";
import { refuseCharge, toBudget } from "../limits/code-attempts.js";
import { enqueueMail, recordAuditEventsWithMail } from "../mail.js";
import {
  isFactorOpenForRecovery,
  refuseUnchargedChallenge,
  resetFactorStreak,
} from "../two-factor/factor-streak.js";
import { codeEntryLockedNotices, recoveryCodeUsedNotices } from "../two-factor/notify-security.js";
import { recoveryCodeHashes } from "../two-factor/recovery-codes.js";
import {
  chargeChallengeCtes,
  liveChallengeCtes,
  openSessionCtes,
  rootEmailColumn,
} from "./challenge-statements.js";

interface ChargedChallenge {
  userId: string;
  isCharged: boolean;
  count: number | null;
  windowStartedAt: string | null;
  lockedUntil: string | null;
  email: string;
  accountId: string;
  kind: "root" | "member";
  rootEmail: string | null;
  isFactorLocked: boolean;
}

/**
 * S3 before the check: the challenge's attempt (at most 5) and then the user's budget, in one
 * statement. A wrong recovery code does not charge the factor's streak (hard cap; S3 bounds it).
 */
function chargeStatement(challengeId: string, now: Date): SQL {
  return sql`
    with ${chargeChallengeCtes(challengeId, now, true)}
    select challenge.user_id as "userId", budget.user_id is not null as "isCharged",
      budget.count::int as "count", budget.window_started_at as "windowStartedAt",
      budget.locked_until as "lockedUntil", u.email, u.account_id as "accountId", u.kind,
      ${rootEmailColumn}, factor.locked_at is not null as "isFactorLocked"
    from challenge
    join users u on u.id = challenge.user_id
    left join budget on budget.user_id = challenge.user_id
    left join two_factors factor on factor.user_id = challenge.user_id`;
}

/**
 * One statement: lock the open factor and the live challenge (S2: else the code stays unused), consume
 * the recovery code, then reset the factor's streak (hard cap: and unlock a
 * root user's factor, never a member's), then the challenge, then create the session, reset the
 * budget and audit — each only if the one before it happened. The 2FA itself stays (R4).
 */
function settleStatement(input: {
  challengeId: string;
  userId: string;
  hashes: string[];
  sessionId: string;
  tokenHash: string;
  now: Date;
  meta: RequestMeta;
  used: SQL;
}): SQL {
  const at = sql`${input.now.toISOString()}::timestamptz`;
  const hashes = sql.join(
    input.hashes.map((hash) => sql`${hash}`),
    sql`, `,
  );
  return sql`
    with ${liveChallengeCtes({ ...input, isOpen: isFactorOpenForRecovery })},
    used as (
      update recovery_codes set consumed_at = ${at}
      where user_id in (select user_id from live) and code_hash in (${hashes}) and consumed_at is null
      returning user_id
    ), consumed as (
      update two_factors set ${resetFactorStreak}
      where user_id in (select user_id from used)
      returning user_id
    ),
    ${openSessionCtes({ ...input, audited: input.used })}
    select count(*)::int as "created",
      (select count(*)::int from recovery_codes where user_id = ${input.userId} and consumed_at is null) - 1
        as "remaining"
    from session`;
}

/**
 * Sign in with a recovery code instead of the challenge's code: charged like a code (S3) before the
 * check, single use, mailed to the user (and the root user, for a member). It never removes 2FA (R4).
 */
export async function recoverChallenge({
  deps,
  input,
  meta,
}: ServiceCall<{ challengeId: string; code: string }>) {
  const now = deps.clock.now();
  const [charged] = await queryRows<ChargedChallenge>(deps.db, chargeStatement(input.challengeId, now));
  if (!charged) {
    return refuseUnchargedChallenge(deps.db, { challengeId: input.challengeId, now, rootMayRecover: true });
  }
  if (!charged.isCharged) await refuseCharge(deps.db, charged.userId, now);

  const party = { id: charged.userId, kind: charged.kind, email: charged.email };
  const audit = selfAuditOf({ accountId: charged.accountId, party, meta });
  const recipients = { subjectEmail: charged.email, rootEmail: charged.rootEmail };
  const sessionId = createId(deps.random, "ses");
  const { token, tokenHash } = createToken(deps.random, SESSION_TOKEN_BYTES);
  const [settled] = await queryRows<{ created: number; remaining: number }>(
    deps.db,
    settleStatement({
      challengeId: input.challengeId,
      userId: charged.userId,
      hashes: recoveryCodeHashes(deps, { userId: charged.userId, code: input.code }),
      sessionId,
      tokenHash,
      now,
      meta,
      used: auditEventInsertWhen(
        deps,
        audit("two_factor.recovery_code_used", {
          purpose: "sign_in",
          ...(charged.isFactorLocked ? { unlocked: true } : {}),
        }),
        sql`select 1 from session`,
      ),
    }),
  );
  if (settled?.created === 1) {
    // The notice names the codes left, known only once the settle has run: queued right after it.
    await enqueueMail(
      deps.db,
      deps,
      ...recoveryCodeUsedNotices(recipients, { at: now, meta, remaining: settled.remaining }),
    );
    return { token, userId: charged.userId };
  }
  const budget = toBudget(charged);
  const lockedUntil = isCodeEntryLocked(budget, now) ? budget.lockedUntil : null;
  await recordAuditEventsWithMail(
    deps.db,
    deps,
    [
      audit("two_factor.code_rejected", { purpose: "sign_in", method: "recovery_code" }),
      ...(lockedUntil ? [audit("two_factor.locked", { lockedUntil: lockedUntil.toISOString() })] : []),
    ],
    lockedUntil ? codeEntryLockedNotices(recipients, { at: now, meta, lockedUntil }) : [],
  );
  throw new AppError("INVALID_CODE");
}
