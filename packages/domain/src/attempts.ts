import {
  CODE_LOCK_IN_SECONDS,
  EMAIL_RESEND_COOLDOWN_IN_SECONDS,
  EMAIL_SEND_WINDOW_IN_SECONDS,
  MAX_EMAIL_SENDS_PER_WINDOW,
  MAX_WRONG_CODES_PER_CHALLENGE,
  MAX_WRONG_CODES_PER_USER,
  WRONG_CODE_WINDOW_IN_SECONDS,
} from "./constants.js";
import type { CodeAttemptBudget, EmailSendBudget, SignInChallenge, WindowedCounter } from "./entities.js";
import { addSeconds, isPast, secondsUntil } from "./time.js";

export type Charged<T> = { ok: true; state: T };
export type Throttled = { ok: false; reason: "TOO_MANY_ATTEMPTS"; retryAfterSeconds: number };

export interface WindowLimit {
  limit: number;
  windowInSeconds: number;
}

function windowEndsAt(counter: WindowedCounter, limit: WindowLimit): Date | null {
  return counter.windowStartedAt ? addSeconds(counter.windowStartedAt, limit.windowInSeconds) : null;
}

/** A fixed window: the first charge opens it, `limit` charges fill it, it reopens when it ends. */
export function chargeWindowedCounter<T extends WindowedCounter>(
  counter: T,
  limit: WindowLimit,
  now: Date,
): Charged<T> | Throttled {
  const endsAt = windowEndsAt(counter, limit);
  if (endsAt === null || isPast(endsAt, now)) {
    return { ok: true, state: { ...counter, count: 1, windowStartedAt: now } };
  }
  if (counter.count >= limit.limit) {
    return { ok: false, reason: "TOO_MANY_ATTEMPTS", retryAfterSeconds: secondsUntil(endsAt, now) };
  }
  return { ok: true, state: { ...counter, count: counter.count + 1 } };
}

/** Whether a counter is full right now, without charging it. */
export function checkWindowedCounter(
  counter: WindowedCounter,
  limit: WindowLimit,
  now: Date,
): { ok: true } | Throttled {
  const endsAt = windowEndsAt(counter, limit);
  if (endsAt === null || isPast(endsAt, now) || counter.count < limit.limit) return { ok: true };
  return { ok: false, reason: "TOO_MANY_ATTEMPTS", retryAfterSeconds: secondsUntil(endsAt, now) };
}

export const wrongCodeLimit: WindowLimit = {
  limit: MAX_WRONG_CODES_PER_USER,
  windowInSeconds: WRONG_CODE_WINDOW_IN_SECONDS,
};

export const emptyCodeAttemptBudget: CodeAttemptBudget = Object.freeze({
  count: 0,
  windowStartedAt: null,
  lockedUntil: null,
});

/**
 * S3: charge one code attempt *before* the code is checked. The charge counts as a wrong code
 * until a success resets the budget; the charge that fills the window starts the 15-minute lock.
 */
export function chargeCodeAttempt(
  budget: CodeAttemptBudget,
  now: Date,
): Charged<CodeAttemptBudget> | Throttled {
  if (budget.lockedUntil !== null && !isPast(budget.lockedUntil, now)) {
    return {
      ok: false,
      reason: "TOO_MANY_ATTEMPTS",
      retryAfterSeconds: secondsUntil(budget.lockedUntil, now),
    };
  }
  const charged = chargeWindowedCounter({ ...budget, lockedUntil: null }, wrongCodeLimit, now);
  if (!charged.ok) return charged;
  const isFull = charged.state.count >= MAX_WRONG_CODES_PER_USER;
  return {
    ok: true,
    state: { ...charged.state, lockedUntil: isFull ? addSeconds(now, CODE_LOCK_IN_SECONDS) : null },
  };
}

/** S3: only a successful code resets the count. */
export function settleCodeSuccess(): CodeAttemptBudget {
  return emptyCodeAttemptBudget;
}

/** Whether a charge just locked the user's code entry (an S8 `two_factor.locked` event, if the code is wrong). */
export function isCodeEntryLocked(budget: CodeAttemptBudget, now: Date): boolean {
  return budget.lockedUntil !== null && !isPast(budget.lockedUntil, now);
}

/** S3: a challenge is dead once used, expired (10 minutes) or after 5 wrong codes: no code, no resend. */
export function isChallengeOpen(
  challenge: Pick<SignInChallenge, "consumedAt" | "expiresAt" | "attemptCount">,
  now: Date,
): boolean {
  return (
    challenge.consumedAt === null &&
    !isPast(challenge.expiresAt, now) &&
    challenge.attemptCount < MAX_WRONG_CODES_PER_CHALLENGE
  );
}

/** S3: at most 5 wrong codes per sign-in challenge, then it is dead; challenges live 10 minutes. */
export function chargeChallengeAttempt(
  challenge: SignInChallenge,
  now: Date,
): { ok: true; attemptCount: number } | { ok: false; reason: "CHALLENGE_EXPIRED" } {
  if (!isChallengeOpen(challenge, now)) return { ok: false, reason: "CHALLENGE_EXPIRED" };
  return { ok: true, attemptCount: challenge.attemptCount + 1 };
}

export const emailSendLimit: WindowLimit = {
  limit: MAX_EMAIL_SENDS_PER_WINDOW,
  windowInSeconds: EMAIL_SEND_WINDOW_IN_SECONDS,
};

export const emptyEmailSendBudget: EmailSendBudget = Object.freeze({
  count: 0,
  windowStartedAt: null,
  lastSentAt: null,
});

/**
 * S3: resends once a minute, and at most 5 mails per 15 minutes per user. The first mail of a
 * challenge, setup or action counts as a send (and starts the cooldown) but is not a resend, so
 * signing in right after enabling email 2FA ("test it right away") still gets its code.
 */
export function chargeEmailSend(
  budget: EmailSendBudget,
  now: Date,
  kind: "first" | "resend" = "resend",
): Charged<EmailSendBudget> | Throttled {
  if (kind === "resend" && budget.lastSentAt !== null) {
    const cooldownEndsAt = addSeconds(budget.lastSentAt, EMAIL_RESEND_COOLDOWN_IN_SECONDS);
    if (!isPast(cooldownEndsAt, now)) {
      return {
        ok: false,
        reason: "TOO_MANY_ATTEMPTS",
        retryAfterSeconds: secondsUntil(cooldownEndsAt, now),
      };
    }
  }
  const charged = chargeWindowedCounter(budget, emailSendLimit, now);
  if (!charged.ok) return charged;
  return { ok: true, state: { ...charged.state, lastSentAt: now } };
}
