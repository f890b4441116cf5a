import { and, eq, gt, isNull } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import type { Queryable, Tx } from "../../db/connect.js";
import { oneTimeTokens, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import type { UserRow } from "../users.js";

type LinkPurpose = "activate_member" | "reset_password";

/** The user a live link (not used, not expired) of `purpose` is for, or null; it consumes nothing. */
export async function findLinkUser(
  q: Queryable,
  input: { token: string; purpose: LinkPurpose; now: Date },
): Promise<UserRow | null> {
  const [found] = await q
    .select({ user: users })
    .from(oneTimeTokens)
    .innerJoin(users, eq(users.id, oneTimeTokens.userId))
    .where(
      and(
        eq(oneTimeTokens.tokenHash, hashToken(input.token)),
        eq(oneTimeTokens.purpose, input.purpose),
        isNull(oneTimeTokens.consumedAt),
        gt(oneTimeTokens.expiresAt, input.now),
      ),
    );
  return found?.user ?? null;
}

/**
 * Single use, settled by one conditional write: a link opened twice at once works once. (A
 * verification link is settled on its user's row instead, with the password typed: verify-email.ts.)
 */
export async function consumeOneTimeToken(
  tx: Tx,
  input: { token: string; purpose: LinkPurpose; now: Date },
): Promise<{ userId: string }> {
  const [consumed] = await tx
    .update(oneTimeTokens)
    .set({ consumedAt: input.now })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, hashToken(input.token)),
        eq(oneTimeTokens.purpose, input.purpose),
        isNull(oneTimeTokens.consumedAt),
        gt(oneTimeTokens.expiresAt, input.now),
      ),
    )
    .returning({ userId: oneTimeTokens.userId });
  if (!consumed) throw new AppError("INVALID_TOKEN");
  return consumed;
}
