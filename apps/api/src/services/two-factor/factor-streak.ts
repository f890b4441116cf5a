import { MAX_CONSECUTIVE_FAILED_CODES, MAX_WRONG_CODES_PER_CHALLENGE } from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { type Queryable, queryRows, type Tx } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { isSealedUnderConfiguredKey, refuseMissingKey } from "./sealed-secrets.js";

// Hard cap (issue 5): the domain's hard-cap.ts as guarded SQL; factor-streak.test.ts checks the mirror.

/**
 * The domain's `chargeFactorStreak` as one guarded update of the factors of the user ids `source`
 * selects: a locked factor is not charged (no row returned); the charge reaching the cap locks it.
 */
export function chargeFactorStreakStatement(source: SQL, now: Date): SQL {
  return sql`update two_factors set failed_code_streak = failed_code_streak + 1,
      locked_at = case when failed_code_streak + 1 >= ${MAX_CONSECUTIVE_FAILED_CODES}
        then ${now.toISOString()}::timestamptz end
    where user_id in (${source}) and locked_at is null
    returning user_id, failed_code_streak, locked_at`;
}

/** The domain's `settleFactorStreak` for a code, as SET and WHERE parts of an update of `two_factors`. */
export const resetFactorStreak = sql`failed_code_streak = 0, locked_at = null`;
export function isFactorOpenFor(isLockingCharge: boolean): SQL {
  return sql`(two_factors.locked_at is null or ${isLockingCharge}::boolean)`;
}

/** The same for a recovery code: it unlocks a root user's factor, never a member's. */
export const isFactorOpenForRecovery = sql`(two_factors.locked_at is null
  or exists (select 1 from users r where r.id = two_factors.user_id and r.kind = 'root'))`;

export interface ChargedStreak {
  failedCodeStreak: number;
  isLockingCharge: boolean;
}

/**
 * Before a code of the enabled factor is checked outside a sign-in (removal, recovery codes): charge
 * its streak; null without an enabled factor (a setup); TWO_FACTOR_LOCKED when locked.
 */
export async function chargeUserFactorStreak(
  tx: Tx,
  userId: string,
  now: Date,
): Promise<ChargedStreak | null> {
  const [row] = await queryRows<{ failedCodeStreak: number | null; lockedAt: string | null }>(
    tx,
    sql`with charged as (${chargeFactorStreakStatement(sql`select ${userId}::text`, now)})
      select charged.failed_code_streak::int as "failedCodeStreak", charged.locked_at as "lockedAt"
      from two_factors f left join charged on charged.user_id = f.user_id
      where f.user_id = ${userId}`,
  );
  if (!row) return null;
  if (row.failedCodeStreak === null) return refuseUnchargedFactor(tx, userId);
  return { failedCodeStreak: row.failedCodeStreak, isLockingCharge: row.lockedAt !== null };
}

/**
 * The guarded update found no open factor: read it afresh (a new statement sees what concurrent ones
 * committed). Locked: TWO_FACTOR_LOCKED; removed meanwhile: null, and the caller's own consume refuses.
 */
async function refuseUnchargedFactor(tx: Tx, userId: string): Promise<null> {
  const [row] = await queryRows<{ isLocked: boolean }>(
    tx,
    sql`select locked_at is not null as "isLocked" from two_factors where user_id = ${userId}`,
  );
  if (row?.isLocked) throw new AppError("TWO_FACTOR_LOCKED");
  return null;
}

/** In the transaction that accepts a code: reset the streak, or TWO_FACTOR_LOCKED if locked since the charge. */
export async function settleUserFactorStreak(
  tx: Tx,
  userId: string,
  charged: ChargedStreak | null,
): Promise<void> {
  if (!charged) return;
  const settled = await queryRows<{ userId: string }>(
    tx,
    sql`update two_factors set ${resetFactorStreak}
      where user_id = ${userId} and ${isFactorOpenFor(charged.isLockingCharge)} returning user_id as "userId"`,
  );
  if (settled.length === 0) await refuseUnchargedFactor(tx, userId);
}

/**
 * A sign-in charge selected no challenge: TWO_FACTOR_LOCKED when the challenge is live but its factor
 * is locked (for a recovery code: a member's only); with `keys`, ENCRYPTION_KEY_MISSING when it is
 * live but its secret's key is gone (S4 rotation); else CHALLENGE_EXPIRED. Off the hot path.
 */
export async function refuseUnchargedChallenge(
  q: Queryable,
  input: { challengeId: string; now: Date; rootMayRecover: boolean; keys?: Pick<Deps, "keys" | "logger"> },
): Promise<never> {
  const [row] = await queryRows<{
    isLocked: boolean;
    isLive: boolean;
    userId: string;
    sealed: string | null;
  }>(
    q,
    sql`select f.locked_at is not null and (u.kind = 'member' or not ${input.rootMayRecover}::boolean) as "isLocked",
        c.attempt_count < ${MAX_WRONG_CODES_PER_CHALLENGE} as "isLive", c.user_id as "userId",
        f.secret_ciphertext as "sealed"
      from sign_in_challenges c
      join two_factors f on f.user_id = c.user_id join users u on u.id = c.user_id
      where c.id = ${input.challengeId} and c.consumed_at is null
        and c.expires_at > ${input.now.toISOString()}::timestamptz`,
  );
  if (row?.isLocked) throw new AppError("TWO_FACTOR_LOCKED");
  if (row?.isLive && input.keys && !isSealedUnderConfiguredKey(input.keys.keys, row.sealed)) {
    refuseMissingKey(input.keys, { userId: row.userId, sealed: row.sealed });
  }
  throw new AppError("CHALLENGE_EXPIRED");
}
