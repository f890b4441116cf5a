import { and, eq, gt, isNull } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import type { Tx } from "../../db/connect.js";
import { oneTimeTokens } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";

/** Single use, settled by one conditional write: a link opened twice at once works once. */
export async function consumeOneTimeToken(
  tx: Tx,
  input: { token: string; purpose: "verify_email" | "activate_member"; now: Date },
): Promise<{ userId: string; passwordHash: string | null }> {
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
    .returning({ userId: oneTimeTokens.userId, passwordHash: oneTimeTokens.passwordHash });
  if (!consumed) throw new AppError("INVALID_TOKEN");
  return consumed;
}
