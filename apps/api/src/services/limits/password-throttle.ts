import {
  chargeWindowedCounter,
  checkWindowedCounter,
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
  /**
   * "reserve": charged before the check and refunded on success, so parallel guesses cannot pass
   * the limit. "record": checked before, charged only after a failure, so many people behind one
   * address signing in at once are not refused for each other's requests in flight.
   */
  mode: "reserve" | "record";
}

/** S3: password failures are throttled per account (or unknown address) and per client address. */
export function passwordThrottleKeys(accountKey: string, clientAddress: string | null): ThrottleKey[] {
  const windowInSeconds = PASSWORD_FAILURE_WINDOW_IN_SECONDS;
  const keys: ThrottleKey[] = [
    {
      key: `account:${accountKey}`,
      limit: { limit: MAX_PASSWORD_FAILURES_PER_ACCOUNT, windowInSeconds },
      mode: "reserve",
    },
  ];
  if (clientAddress) {
    keys.push({
      key: `address:${clientAddress}`,
      limit: { limit: MAX_PASSWORD_FAILURES_PER_ADDRESS, windowInSeconds },
      mode: "record",
    });
  }
  return keys;
}

/**
 * One transaction, row-locked. Before the check: reserve the "reserve" keys and refuse if any key
 * is full. After a failure: charge the "record" keys (the reservations already count).
 */
async function applyToKeys(
  db: Db,
  keys: ThrottleKey[],
  now: Date,
  phase: "before" | "failed",
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const { key, limit, mode } of keys) {
      if (phase === "failed" && mode === "reserve") continue;
      await tx.insert(passwordThrottles).values({ key }).onConflictDoNothing();
      const [row] = await tx
        .select()
        .from(passwordThrottles)
        .where(eq(passwordThrottles.key, key))
        .for("update");
      const counter = row ?? { count: 0, windowStartedAt: null };
      if (phase === "before" && mode === "record") {
        const check = checkWindowedCounter(counter, limit, now);
        if (!check.ok)
          throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: check.retryAfterSeconds });
        continue;
      }
      const charged = chargeWindowedCounter(counter, limit, now);
      if (!charged.ok) {
        if (phase === "before")
          throw new AppError("TOO_MANY_ATTEMPTS", { retryAfterSeconds: charged.retryAfterSeconds });
        continue;
      }
      await tx
        .update(passwordThrottles)
        .set({ count: charged.state.count, windowStartedAt: charged.state.windowStartedAt })
        .where(eq(passwordThrottles.key, key));
    }
  });
}

export function chargePasswordAttempt(db: Db, keys: ThrottleKey[], now: Date): Promise<void> {
  return applyToKeys(db, keys, now, "before");
}

/** After the check: a success refunds its reservations, a failure is recorded on the other keys. */
export async function settlePasswordAttempt(
  db: Db,
  keys: ThrottleKey[],
  input: { isSuccess: boolean; now: Date },
): Promise<void> {
  if (!input.isSuccess) return applyToKeys(db, keys, input.now, "failed");
  const reserved = keys.filter((entry) => entry.mode === "reserve").map((entry) => entry.key);
  await db
    .update(passwordThrottles)
    .set({ count: sql`greatest(${passwordThrottles.count} - 1, 0)` })
    .where(inArray(passwordThrottles.key, reserved));
}
