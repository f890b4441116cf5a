import {
  addSeconds,
  chargeWindowedCounter,
  checkWindowedCounter,
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
 * The account key is reserved before the check and refunded on success, so parallel guesses cannot
 * pass its limit; the address key is checked before and charged only after a failure, so people
 * behind one address signing in at once are not refused for each other's requests in flight.
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

/** The reservation of round trip 1, as a CTE: charged only while the address is not full. */
export function reservePasswordAttemptStatement(throttle: PasswordThrottle, now: Date): SQL {
  const windowOpenedBefore = addSeconds(now, -addressLimit.windowInSeconds).toISOString();
  const isAddressOpen = sql`not exists (select 1 from password_throttles a where a.key = ${throttle.addressKey}
    and a.window_started_at > ${windowOpenedBefore}::timestamptz and a.count >= ${addressLimit.limit})`;
  return chargeThrottleStatement(throttle.accountKey, accountLimit, now, isAddressOpen);
}

/** A refused reservation: 429 with the Retry-After the domain gives for the counters as committed now. */
export async function refusePasswordAttempt(
  q: Queryable,
  throttle: PasswordThrottle,
  now: Date,
): Promise<never> {
  const rows = await q
    .select()
    .from(passwordThrottles)
    .where(inArray(passwordThrottles.key, [throttle.accountKey, throttle.addressKey ?? throttle.accountKey]));
  const counter = (key: string | null) =>
    rows.find((row) => row.key === key) ?? { count: 0, windowStartedAt: null };
  const address = checkWindowedCounter(counter(throttle.addressKey), addressLimit, now);
  const account = chargeWindowedCounter(counter(throttle.accountKey), accountLimit, now);
  const retryAfterSeconds = !address.ok
    ? address.retryAfterSeconds
    : !account.ok
      ? account.retryAfterSeconds
      : 1;
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
  const [reserved] = await queryRows(
    q,
    sql`with reserved as (${reservePasswordAttemptStatement(throttle, now)}) select 1 from reserved`,
  );
  if (!reserved) await refusePasswordAttempt(q, throttle, now);
}

/** After a wrong password: the address counts the failure (the account's reservation already does). */
export async function recordPasswordFailure(
  q: Queryable,
  throttle: PasswordThrottle,
  now: Date,
): Promise<void> {
  if (throttle.addressKey)
    await queryRows(q, chargeThrottleStatement(throttle.addressKey, addressLimit, now));
}

/** After a right password: the reservation is given back. */
export function refundPasswordAttemptStatement(throttle: PasswordThrottle): SQL {
  return sql`update password_throttles set count = greatest(count - 1, 0) where key = ${throttle.accountKey}`;
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
