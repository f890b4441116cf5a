import { and, eq, exists, gt, isNull, sql } from "drizzle-orm";
import { admitPasswordHash, verifyPassword } from "../../crypto/passwords.js";
import { hashToken } from "../../crypto/tokens.js";
import { queryRows } from "../../db/connect.js";
import { oneTimeTokens, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import type { ServiceCall } from "../context.js";
import {
  passwordThrottleOf,
  refundPasswordAttemptStatement,
  reservePasswordAttempt,
} from "../limits/password-throttle.js";

interface PendingSignUp {
  userId: string;
  emailNormalized: string;
  passwordHash: string;
}

/**
 * The live link's address and the passwords of its pending sign-ups: the link's own first, then the
 * newest first. A link from before pending sign-ups carried a password stands for the user's own.
 */
async function findPendingSignUps(
  deps: ServiceCall<unknown>["deps"],
  token: string,
  now: Date,
): Promise<PendingSignUp[]> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const rows = await queryRows<PendingSignUp>(
    deps.db,
    sql`select u.id as "userId", u.email_normalized as "emailNormalized",
        coalesce(pending.password_hash, u.password_hash) as "passwordHash"
      from one_time_tokens link
      join users u on u.id = link.user_id and u.kind = 'root' and u.email_verified_at is null
      join one_time_tokens pending on pending.user_id = u.id and pending.purpose = 'verify_email'
        and pending.consumed_at is null and pending.expires_at > ${at}
      where link.token_hash = ${hashToken(token)} and link.purpose = 'verify_email'
        and link.consumed_at is null and link.expires_at > ${at}
      order by pending.id = link.id desc, pending.created_at desc, pending.id`,
  );
  // One per password: a link mailed again by a sign-in carries its sign-up's hash (order kept).
  return [...new Map(rows.map((row) => [row.passwordHash, row])).values()];
}

/**
 * S6 (pre-hijack): the link proves the mailbox, the password typed on its page picks the pending
 * sign-up to activate, so a stranger's sign-up with the owner's address cannot plant its password:
 * the owner's click activates the owner's password, whichever of the address's links it opens.
 * S3: a wrong password is charged like a sign-in attempt, on the address's sign-in budget.
 * Verifying ends every pending sign-up of the address (their links and password hashes go).
 */
export async function verifyRootEmail({
  deps,
  input,
  meta,
}: ServiceCall<{ token: string; password: string }>): Promise<void> {
  const now = deps.clock.now();
  const pending = await findPendingSignUps(deps, input.token, now);
  const [first] = pending;
  if (!first) throw new AppError("INVALID_TOKEN");
  const throttle = passwordThrottleOf(
    { kind: "root", emailNormalized: first.emailNormalized },
    meta.clientAddress,
  );
  // Issue 13: a place in the hash queue, then both keys reserved before argon2; a wrong password
  // stays charged, a right one gives them back.
  const hashing = admitPasswordHash(meta.clientAddress, deps.passwordHashCost);
  let chosen: PendingSignUp | undefined;
  try {
    await reservePasswordAttempt(deps.db, throttle, now);
    for (const [index, signUp] of pending.entries()) {
      // The first check holds the queue place; the others count on the process's bound only.
      const isRight =
        index === 0
          ? await hashing.verify(signUp.passwordHash, input.password)
          : await verifyPassword(signUp.passwordHash, input.password, deps.passwordHashCost);
      if (isRight) {
        chosen = signUp;
        break;
      }
    }
  } finally {
    hashing.release();
  }
  if (!chosen) throw new AppError("INVALID_CREDENTIALS", { isPasswordOnPage: true });
  await queryRows(deps.db, refundPasswordAttemptStatement(throttle));
  const { userId, passwordHash } = chosen;
  await deps.db.transaction(async (tx) => {
    // Settled on the user's row: of two opens at once (one link twice, or two links), one verifies.
    const [verified] = await tx
      .update(users)
      .set({ emailVerifiedAt: now, passwordHash })
      .where(
        and(
          eq(users.id, userId),
          isNull(users.emailVerifiedAt),
          exists(
            tx
              .select({ id: oneTimeTokens.id })
              .from(oneTimeTokens)
              .where(
                and(
                  eq(oneTimeTokens.tokenHash, hashToken(input.token)),
                  isNull(oneTimeTokens.consumedAt),
                  gt(oneTimeTokens.expiresAt, now),
                ),
              ),
          ),
        ),
      )
      .returning({ id: users.id });
    if (!verified) throw new AppError("INVALID_TOKEN");
    await tx
      .delete(oneTimeTokens)
      .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, "verify_email")));
  });
}
