import { and, eq, isNull } from "drizzle-orm";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import type { ServiceCall } from "../context.js";
import { consumeOneTimeToken } from "./consume-token.js";

/**
 * S6 (pre-hijack): the password that becomes effective is the one chosen in the sign-up whose link
 * is opened, and a link left over from before verification changes nothing afterwards.
 */
export async function verifyRootEmail({ deps, input }: ServiceCall<{ token: string }>): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const { userId, passwordHash } = await consumeOneTimeToken(tx, {
      token: input.token,
      purpose: "verify_email",
      now,
    });
    const [verified] = await tx
      .update(users)
      .set({ emailVerifiedAt: now, ...(passwordHash ? { passwordHash } : {}) })
      .where(and(eq(users.id, userId), isNull(users.emailVerifiedAt)))
      .returning({ id: users.id });
    if (!verified) throw new AppError("INVALID_TOKEN");
  });
}
