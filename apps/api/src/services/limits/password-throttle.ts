import {
  chargeWindowedCounter,
  MAX_PASSWORD_FAILURES_PER_ACCOUNT,
  MAX_PASSWORD_FAILURES_PER_ADDRESS,
  PASSWORD_FAILURE_WINDOW_IN_SECONDS,
  type WindowLimit,
} from "@cloud2fa/domain";
import { eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../../db/connect.js";
import { passwordThrottles } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

export interface ThrottleKey {
  key: string;
  limit: WindowLimit;
}

/** S3: password failures are throttled per account (or unknown address) and per client address. */
export function passwordThrottleKeys(accountKey: string, clientAddress: string | null): ThrottleKey[] {
  const window = PASSWORD_FAILURE_WINDOW_IN_SECONDS;
  const keys = [
    {
      key: `account:${accountKey}`,
      limit: { limit: MAX_PASSWORD_FAILURES_PER_ACCOUNT, windowInSeconds: window },
    },
  ];
  if (clientAddress) {
    keys.push({
      key: `address:${clientAddress}`,
      limit: { limit: MAX_PASSWORD_FAILURES_PER_ADDRESS, windowInSeconds: window },
    });
  }
  return keys;
}

/**
 * Charged before the password is checked (one transaction, row locks), so parallel guesses cannot
 * pass the limit; a correct password refunds its charge.
 */
export async function chargePasswordAttempt(db: Db, keys: ThrottleKey[], now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    for (const { key, limit } of keys) {
      await tx.insert(passwordThrottles).values({ key }).onConflictDoNothing();
      const [row] = await tx
        .select()
        .from(passwordThrottles)
        .where(eq(passwordThrottles.key, key))
        .for("update");
      const charged = chargeWindowedCounter(row ?? { count: 0, windowStartedAt: null }, limit, now);
      if (!charged.ok)
        throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: charged.retryAfterSeconds });
      await tx
        .update(passwordThrottles)
        .set({ count: charged.state.count, windowStartedAt: charged.state.windowStartedAt })
        .where(eq(passwordThrottles.key, key));
    }
  });
}

export async function refundPasswordAttempt(db: Db, keys: ThrottleKey[]): Promise<void> {
  await db
    .update(passwordThrottles)
    .set({ count: sql`greatest(${passwordThrottles.count} - 1, 0)` })
    .where(
      inArray(
        passwordThrottles.key,
        keys.map((entry) => entry.key),
      ),
    );
}
