import {
  addSeconds,
  chargeWindowedCounter,
  MAX_PASSWORD_FAILURES_PER_ACCOUNT,
  MAX_PASSWORD_FAILURES_PER_ADDRESS,
  PASSWORD_FAILURE_WINDOW_IN_SECONDS,
  type WindowLimit,
} from "@cloud2fa/domain";
import { eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Queryable, queryRows } from "../../db/connect.js";
import { passwordThrottles } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

/**
 * S3: password failures are throttled per account (an unknown address too) and per client address.
 * Both keys are reserved before the argon2 check, together or not at all, and given back on success,
 * so parallel guesses cannot pass either limit: a burst from one address gets at most its 50 checks.
 */
export interface PasswordThrottle {
  accountKey: string;
  addressKey: string | null;
}

export const accountLimit: WindowLimit = {
  limit: MAX_PASSWORD_FAILURES_PER_ACCOUNT,
  windowInSeconds: PASSWORD_FAILURE_WINDOW_IN_SECONDS,
};
export const addressLimit: WindowLimit = {
  limit: MAX_PASSWORD_FAILURES_PER_ADDRESS,
  windowInSeconds: PASSWORD_FAILURE_WINDOW_IN_SECONDS,
};

/**
 * The keys of a password check: the account's sign-in key (a root user by address, a member by team
 * and address, so the sign-in and the setup's re-check share one budget) and the client address.
 */
export function passwordThrottleOf(
  user:
    | { kind: "root"; emailNormalized: string }
    | { kind: "member"; accountId: string; emailNormalized: string },
  clientAddress: string | null,
): PasswordThrottle {
  const accountKey =
    user.kind === "root"
      ? `root:${user.emailNormalized}`
      : `member:${user.accountId}:${user.emailNormalized}`;
  return {
    accountKey: `account:${accountKey}`,
    addressKey: clientAddress ? `address:${clientAddress}` : null,
  };
}

/**
 * The domain's `chargeWindowedCounter` as one guarded upsert on `password_throttles`, charged only
 * when `condition` holds. windowed-counters.test.ts checks it against the domain, state by state.
 */
export function chargeThrottleStatement(
  key: string,
  limit: WindowLimit,
  now: Date,
  condition: SQL = sql`true`,
): SQL {
  const windowOpenedBefore = addSeconds(now, -limit.windowInSeconds).toISOString();
  const isNewWindow = sql`(t.window_started_at is null or t.window_started_at <= ${windowOpenedBefore}::timestamptz)`;
  return sql`
    insert into password_throttles as t (key, count, window_started_at)
    select ${key}, 1, ${now.toISOString()}::timestamptz where ${condition}
    on conflict (key) do update set
      count = case when ${isNewWindow} then 1 else t.count + 1 end,
      window_started_at = case when ${isNewWindow} then ${now.toISOString()}::timestamptz else t.window_started_at end
    where ${isNewWindow} or t.count < ${limit.limit}
    returning t.key`;
}

/** The keys of a throttle in the order every statement locks their rows, so that none deadlocks. */
function keysOf(throttle: PasswordThrottle): { key: string; limit: WindowLimit }[] {
  const keys = [{ key: throttle.accountKey, limit: accountLimit }];
  if (throttle.addressKey) keys.push({ key: throttle.addressKey, limit: addressLimit });
  // Every key starts with a distinct ASCII word ("account:", "address:", "reauth:"): any collation agrees.
  return keys.sort((a, b) => (a.key < b.key ? -1 : 1));
}

function isFullStatement(key: string, limit: WindowLimit, now: Date): SQL {
  const windowOpenedBefore = addSeconds(now, -limit.windowInSeconds).toISOString();
  return sql`exists (select 1 from password_throttles f where f.key = ${key}
    and f.window_started_at > ${windowOpenedBefore}::timestamptz and f.count >= ${limit.limit})`;
}

/**
 * The reservation of round trip 1, as the CTEs `first_reserved` (the first key in lock order) and
 * `reserved` (every key). The first is charged only while the second is not full as read, the second
 * only once the first is; if the second turns out full meanwhile, the first is given back
 * (`refusePasswordAttempt`).
 */
export function reservePasswordAttemptCtes(throttle: PasswordThrottle, now: Date): SQL {
  const [first, second] = keysOf(throttle);
  if (!first) throw new Error("a password throttle has an account key");
  if (!second) {
    return sql`first_reserved as (${chargeThrottleStatement(first.key, first.limit, now)}),
    reserved as (select 1 from first_reserved)`;
  }
  const isSecondOpen = sql`not ${isFullStatement(second.key, second.limit, now)}`;
  return sql`first_reserved as (${chargeThrottleStatement(first.key, first.limit, now, isSecondOpen)}),
    reserved as (${chargeThrottleStatement(second.key, second.limit, now, sql`exists (select 1 from first_reserved)`)})`;
}

/** What the reservation CTEs charged, as columns of the statement's answer. */
export const reservationColumns = sql`exists (select 1 from reserved) as "isReserved",
      exists (select 1 from first_reserved) as "isPartlyReserved"`;

export interface Reservation {
  isReserved: boolean;
  isPartlyReserved: boolean;
}

/**
 * A refused reservation: the first key is given back if it alone was charged, then 429 with the
 * Retry-After the domain gives for the counters as committed now.
 */
export async function refusePasswordAttempt(
  q: Queryable,
  throttle: PasswordThrottle,
  now: Date,
  reservation: Reservation,
): Promise<never> {
  const keys = keysOf(throttle);
  const [first] = keys;
  if (first && reservation.isPartlyReserved) {
    await queryRows(
      q,
      sql`update password_throttles set count = greatest(count - 1, 0) where key = ${first.key}`,
    );
  }
  const rows = await q
    .select()
    .from(passwordThrottles)
    .where(
      inArray(
        passwordThrottles.key,
        keys.map(({ key }) => key),
      ),
    );
  let retryAfterSeconds = 1;
  for (const { key, limit } of keys) {
    const counter = rows.find((row) => row.key === key) ?? { count: 0, windowStartedAt: null };
    const decision = chargeWindowedCounter(counter, limit, now);
    if (!decision.ok) retryAfterSeconds = Math.max(retryAfterSeconds, decision.retryAfterSeconds);
  }
  throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds });
}

/**
 * The keys of a password asked again after sign-in (R11): the user's own re-check key, not the
 * sign-in's, so a stranger's wrong sign-ins cannot stop a signed-in user from enrolling; and the
 * client address. A wrong one is also charged to the sign-in key (`chargeSignInAccount`).
 */
export function reauthThrottleOf(userId: string, clientAddress: string | null): PasswordThrottle {
  return { accountKey: `reauth:${userId}`, addressKey: clientAddress ? `address:${clientAddress}` : null };
}

/** A wrong password asked again counts at sign-in too: a stolen session's guesses lock the sign-in. */
export async function chargeSignInAccount(q: Queryable, signIn: PasswordThrottle, now: Date): Promise<void> {
  await queryRows(q, chargeThrottleStatement(signIn.accountKey, accountLimit, now));
}

/** A password asked again after sign-in (R11) reserves its attempt alone: 429 while either key is full. */
export async function reservePasswordAttempt(
  q: Queryable,
  throttle: PasswordThrottle,
  now: Date,
): Promise<void> {
  const [reservation] = await queryRows<Reservation>(
    q,
    sql`with ${reservePasswordAttemptCtes(throttle, now)} select ${reservationColumns}`,
  );
  if (!reservation?.isReserved)
    await refusePasswordAttempt(
      q,
      throttle,
      now,
      reservation ?? { isReserved: false, isPartlyReserved: false },
    );
}

/**
 * After a right password: both reservations are given back, their rows locked in the reservation's
 * order (a reservation of the same keys in flight would otherwise deadlock with it).
 */
export function refundPasswordAttemptStatement(throttle: PasswordThrottle): SQL {
  const keys = keysOf(throttle).map(({ key }) => sql`${key}`);
  return sql`update password_throttles t set count = greatest(t.count - 1, 0)
    from (select key from password_throttles where key in (${sql.join(keys, sql`, `)})
      order by key collate "C" for no key update) l
    where t.key = l.key`;
}

/**
 * Charge each key in turn (one guarded upsert each); the first that is full answers 429 with the
 * Retry-After the domain gives for it as committed now. Used where no refund follows (sign-up).
 */
export async function chargeThrottleKeys(
  q: Queryable,
  entries: readonly { key: string; limit: WindowLimit }[],
  now: Date,
): Promise<void> {
  for (const { key, limit } of entries) {
    const [charged] = await queryRows(
      q,
      sql`with charged as (${chargeThrottleStatement(key, limit, now)}) select 1 from charged`,
    );
    if (charged) continue;
    const [row] = await q.select().from(passwordThrottles).where(eq(passwordThrottles.key, key));
    const decision = chargeWindowedCounter(row ?? { count: 0, windowStartedAt: null }, limit, now);
    throw new AppError("TOO_MANY_ATTEMPTS", {
      retryAfterSeconds: decision.ok ? 1 : decision.retryAfterSeconds,
    });
  }
}
