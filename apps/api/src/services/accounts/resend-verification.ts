import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { verifyEmailMessage } from "../../mail/messages.js";
import type { RequestMeta } from "../context.js";
import { chargeThrottleKeys } from "../limits/password-throttle.js";
import { enqueueMail } from "../mail.js";
import { insertVerificationLink, signUpThrottleKeys } from "./sign-up.js";

/**
 * S6: a sign-in with the right password before the email is verified mails a fresh link for the
 * pending sign-up of that password. It counts on the sign-up mail throttles (a sign-in cannot mail
 * an address more often than sign-ups can); beyond them nothing is sent, and the answer is the same.
 * The link and its mail are written in one transaction; the outbox sends it after the answer, so the
 * answer takes as long as a wrong password's.
 */
export async function resendVerificationLink(
  deps: Deps,
  user: { id: string; email: string; emailNormalized: string; passwordHash: string },
  input: { now: Date; meta: RequestMeta },
): Promise<void> {
  try {
    await chargeThrottleKeys(
      deps.db,
      signUpThrottleKeys(user.emailNormalized, input.meta.clientAddress),
      input.now,
    );
  } catch (error) {
    if (error instanceof AppError && error.code === "TOO_MANY_ATTEMPTS") return;
    throw error;
  }
  await deps.db.transaction(async (tx) => {
    const link = await insertVerificationLink(tx, deps, {
      userId: user.id,
      passwordHash: user.passwordHash,
      now: input.now,
    });
    await enqueueMail(tx, deps, verifyEmailMessage(user.email, link));
  });
}
