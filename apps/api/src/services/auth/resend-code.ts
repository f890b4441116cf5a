import { isChallengeOpen } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { signInChallenges, twoFactors, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import type { ServiceCall } from "../context.js";
import { issueEmailCode } from "../two-factor/codes.js";

/** S1, S3: a resend makes a new code, kills the old one, and is charged to the mail budget. */
export async function resendChallengeCode({
  deps,
  input,
}: ServiceCall<{ challengeId: string }>): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    const [found] = await tx
      .select({ challenge: signInChallenges, email: users.email, lockedAt: twoFactors.lockedAt })
      .from(signInChallenges)
      .innerJoin(users, eq(users.id, signInChallenges.userId))
      .leftJoin(twoFactors, eq(twoFactors.userId, signInChallenges.userId))
      .where(eq(signInChallenges.id, input.challengeId))
      .for("update", { of: signInChallenges });
    if (!found || !isChallengeOpen(found.challenge, now)) {
      throw new AppError("CHALLENGE_EXPIRED");
    }
    if (found.challenge.method !== "email") throw new AppError("METHOD_NOT_ALLOWED");
    // Hard cap: no code would be checked, so none is mailed.
    if (found.lockedAt) throw new AppError("TWO_FACTOR_LOCKED");
    await issueEmailCode(tx, deps, {
      send: "resend",
      userId: found.challenge.userId,
      purpose: "sign_in",
      bindingId: found.challenge.id,
      now,
      expiresAt: found.challenge.expiresAt,
      to: found.email,
    });
  });
}
