import { chargeChallengeAttempt } from "@cloud2fa/domain";
import { and, eq, isNull } from "drizzle-orm";
import type { Tx } from "../../db/connect.js";
import { signInChallenges, twoFactors } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import type { ServiceCall } from "../context.js";
import { attemptCode } from "../two-factor/attempt-code.js";
import { consumeEnabledFactorMatch } from "../two-factor/codes.js";
import { loadUser } from "../users.js";
import { createSession } from "./sessions.js";

type Challenge = typeof signInChallenges.$inferSelect;

async function lockChallenge(tx: Tx, challengeId: string): Promise<Challenge | null> {
  const [challenge] = await tx
    .select()
    .from(signInChallenges)
    .where(eq(signInChallenges.id, challengeId))
    .for("update");
  return challenge ?? null;
}

/**
 * R2, S1–S3: the code of a sign-in challenge. The challenge attempt and the user's attempt are
 * charged before the check; the session is created in the transaction that consumes the code.
 */
export async function verifyChallenge({
  deps,
  input,
  meta,
}: ServiceCall<{ challengeId: string; code: string }>) {
  const now = deps.clock.now();
  const [challenge] = await deps.db
    .select()
    .from(signInChallenges)
    .where(eq(signInChallenges.id, input.challengeId));
  if (!challenge) throw new AppError("CHALLENGE_EXPIRED");
  const loaded = await loadUser(deps.db, { id: challenge.userId });
  if (!loaded?.enabled) throw new AppError("CHALLENGE_EXPIRED");
  const subject = loaded.row;

  return attemptCode(deps, {
    subject,
    code: input.code,
    meta,
    purpose: "sign_in",
    charge: async (tx) => {
      const locked = await lockChallenge(tx, challenge.id);
      const charged = locked
        ? chargeChallengeAttempt(locked, now)
        : { ok: false as const, reason: "CHALLENGE_EXPIRED" as const };
      if (!charged.ok) throw new AppError(charged.reason);
      await tx
        .update(signInChallenges)
        .set({ attemptCount: charged.attemptCount })
        .where(eq(signInChallenges.id, challenge.id));
    },
    source: async (tx) => {
      const [factor] = await tx.select().from(twoFactors).where(eq(twoFactors.userId, subject.id));
      if (!factor || factor.method !== challenge.method) throw new AppError("CHALLENGE_EXPIRED");
      return factor.method === "totp"
        ? { kind: "totp", sealedSecret: factor.secretCiphertext, lastAcceptedStep: factor.lastAcceptedStep }
        : { kind: "email", purpose: "sign_in", bindingId: challenge.id };
    },
    settle: async (tx, match) => {
      const [consumed] = await tx
        .update(signInChallenges)
        .set({ consumedAt: now })
        .where(and(eq(signInChallenges.id, challenge.id), isNull(signInChallenges.consumedAt)))
        .returning({ id: signInChallenges.id });
      if (!consumed) return null;
      if (!(await consumeEnabledFactorMatch(tx, { userId: subject.id, match, now }))) return null;
      const session = await createSession(tx, deps, subject.id);
      return { token: session.token, userId: subject.id };
    },
  });
}
