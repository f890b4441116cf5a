import { and, eq, gt, isNull } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import type { Tx } from "../../db/connect.js";
import { oneTimeTokens } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

/**
 * Single use, settled by one conditional write: a link opened twice at once works once. (A
 * verification link is settled on its user's row instead, with the password typed: verify-email.ts.)
 */
export async function consumeOneTimeToken(
  tx: Tx,
  input: { token: string; purpose: "activate_member" | "reset_password"; now: Date },
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
