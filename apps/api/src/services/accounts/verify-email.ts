import { eq } from "drizzle-orm";
import { users } from "../../db/schema/index.js";
import type { ServiceCall } from "../context.js";
import { consumeOneTimeToken } from "./consume-token.js";

export async function verifyRootEmail({ deps, input }: ServiceCall<{ token: string }>): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const userId = await consumeOneTimeToken(tx, { token: input.token, purpose: "verify_email", now });
    await tx.update(users).set({ emailVerifiedAt: now }).where(eq(users.id, userId));
  });
}
