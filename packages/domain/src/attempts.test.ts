import { describe, expect, it } from "vitest";
import {
  type Charged,
  chargeChallengeAttempt,
  chargeCodeAttempt,
  chargeEmailSend,
  chargeWindowedCounter,
  checkWindowedCounter,
  emailSendLimit,
  emptyCodeAttemptBudget,
  emptyEmailSendBudget,
  isChallengeOpen,
  isCodeEntryLocked,
  settleCodeSuccess,
  type Throttled,
  type WindowLimit,
  wrongCodeLimit,
} from "./attempts.js";
import {
  CHALLENGE_TTL_IN_SECONDS,
  MAX_PASSWORD_FAILURES_PER_ACCOUNT,
  MAX_PASSWORD_FAILURES_PER_ADDRESS,
  PASSWORD_FAILURE_WINDOW_IN_SECONDS,
} from "./constants.js";
import type { CodeAttemptBudget, EmailSendBudget, SignInChallenge, WindowedCounter } from "./entities.js";

const t0 = new Date("2026-01-01T00:00:00Z");

/** t0 plus a number of seconds (fractions allowed). */
function at(seconds: number): Date {
  return new Date(t0.getTime() + seconds * 1000);
}

const fifteenMinutes = 15 * 60;

function throttled(retryAfterSeconds: number): Throttled {
  return { ok: false, reason: "TOO_MANY_ATTEMPTS", retryAfterSeconds };
}

function charged<T>(state: T): Charged<T> {
  return { ok: true, state };
}

function codeBudget(count: number, windowStartedAt: Date | null, lockedUntil: Date | null = null) {
  return { count, windowStartedAt, lockedUntil } satisfies CodeAttemptBudget;
}

describe("S3 limits", () => {
  it.each<[string, WindowLimit, WindowLimit]>([
    [
      "wrong codes per user: 10 in 15 minutes",
      wrongCodeLimit,
      { limit: 10, windowInSeconds: fifteenMinutes },
    ],
    ["email sends per user: 5 in 15 minutes", emailSendLimit, { limit: 5, windowInSeconds: fifteenMinutes }],
  ])("S3 %s", (_label, actual, expected) => {
    expect(actual).toEqual(expected);
  });

  it.each<[string, number, number]>([
    ["sign-in challenges live 10 minutes", CHALLENGE_TTL_IN_SECONDS, 600],
    ["password failures per account", MAX_PASSWORD_FAILURES_PER_ACCOUNT, 10],
    ["password failures per address", MAX_PASSWORD_FAILURES_PER_ADDRESS, 50],
    ["password failure window in seconds", PASSWORD_FAILURE_WINDOW_IN_SECONDS, fifteenMinutes],
  ])("S3 %s = $2", (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("S3 chargeCodeAttempt: at most 10 wrong codes per user in 15 minutes, then a 15-minute lock", () => {
  it.each<[string, CodeAttemptBudget, Date, Charged<CodeAttemptBudget> | Throttled]>([
    ["S3 the first charge opens the window", emptyCodeAttemptBudget, t0, charged(codeBudget(1, t0))],
    ["S3 the 2nd charge counts", codeBudget(1, t0), at(60), charged(codeBudget(2, t0))],
    ["S3 the 9th charge does not lock", codeBudget(8, t0), at(600), charged(codeBudget(9, t0))],
    [
      "S3 the 10th charge is allowed and sets lockedUntil = now + 15 min",
      codeBudget(9, t0),
      at(600),
      charged(codeBudget(10, t0, at(600 + fifteenMinutes))),
    ],
    [
      "S3 the 10th charge in the window's last second locks",
      codeBudget(9, t0),
      at(899),
      charged(codeBudget(10, t0, at(899 + fifteenMinutes))),
    ],
    ["S3 the 11th charge is refused during the lock", codeBudget(10, t0, at(1500)), at(600), throttled(900)],
    ["S3 retryAfter is 1 in the lock's last second", codeBudget(10, t0, at(1500)), at(1499), throttled(1)],
    ["S3 retryAfter rounds up", codeBudget(10, t0, at(1500)), at(1498.5), throttled(2)],
    [
      "S3 the lock ends exactly at lockedUntil (a new window opens)",
      codeBudget(10, t0, at(1500)),
      at(1500),
      charged(codeBudget(1, at(1500))),
    ],
    [
      "S3 the window reopens exactly at windowStartedAt + 15 min",
      codeBudget(9, t0),
      at(fifteenMinutes),
      charged(codeBudget(1, at(fifteenMinutes))),
    ],
    ["S3 a full window without a lock refuses until it ends", codeBudget(10, t0), at(300), throttled(600)],
    [
      "S3 a full window whose lock has passed still refuses until the window ends",
      codeBudget(10, t0, at(100)),
      at(300),
      throttled(600),
    ],
  ])("%s → $3", (_label, budget, now, expected) => {
    expect(chargeCodeAttempt(budget, now)).toEqual(expected);
  });

  it("S3 charging from empty: 10 charges allowed within 15 minutes, the 11th refused with Retry-After", () => {
    let budget: CodeAttemptBudget = emptyCodeAttemptBudget;
    for (let index = 0; index < 10; index++) {
      const result = chargeCodeAttempt(budget, at(index * 60));
      if (!result.ok) throw new Error(`charge ${index + 1} was refused`);
      budget = result.state;
      expect(budget.count).toBe(index + 1);
      expect(budget.lockedUntil).toEqual(index === 9 ? at(540 + fifteenMinutes) : null);
    }
    expect(chargeCodeAttempt(budget, at(600))).toEqual(throttled(540 + fifteenMinutes - 600));
    expect(chargeCodeAttempt(budget, at(540 + fifteenMinutes))).toEqual(
      charged(codeBudget(1, at(540 + fifteenMinutes))),
    );
  });
});

describe("S3 only a successful code resets the count", () => {
  it("S3 settleCodeSuccess returns an empty budget", () => {
    expect(settleCodeSuccess()).toEqual({ count: 0, windowStartedAt: null, lockedUntil: null });
  });

  it("S3 after a success a charge opens a new window at count 1", () => {
    expect(chargeCodeAttempt(settleCodeSuccess(), at(120))).toEqual(charged(codeBudget(1, at(120))));
  });
});

describe("S3 isCodeEntryLocked", () => {
  it.each<[string, CodeAttemptBudget, Date, boolean]>([
    ["no lock", codeBudget(3, t0), at(10), false],
    ["the 10th charge's lock, right away", codeBudget(10, t0, at(600 + fifteenMinutes)), at(600), true],
    ["1 ms before lockedUntil", codeBudget(10, t0, at(1500)), at(1499.999), true],
    ["exactly at lockedUntil", codeBudget(10, t0, at(1500)), at(1500), false],
    ["after lockedUntil", codeBudget(10, t0, at(1500)), at(1501), false],
  ])("S3 %s → $3", (_label, budget, now, expected) => {
    expect(isCodeEntryLocked(budget, now)).toBe(expected);
  });
});

function challenge(overrides: Partial<SignInChallenge> = {}): SignInChallenge {
  return {
    id: "chl_attempts",
    userId: "usr_attempts",
    method: "totp",
    expiresAt: at(CHALLENGE_TTL_IN_SECONDS),
    attemptCount: 0,
    consumedAt: null,
    ...overrides,
  };
}

const challengeExpired = { ok: false, reason: "CHALLENGE_EXPIRED" };

describe("S3 chargeChallengeAttempt: at most 5 wrong codes per challenge, which lives 10 minutes", () => {
  it.each<[string, SignInChallenge, Date, object]>([
    ["1st attempt", challenge({ attemptCount: 0 }), t0, { ok: true, attemptCount: 1 }],
    ["2nd attempt", challenge({ attemptCount: 1 }), t0, { ok: true, attemptCount: 2 }],
    ["3rd attempt", challenge({ attemptCount: 2 }), t0, { ok: true, attemptCount: 3 }],
    ["4th attempt", challenge({ attemptCount: 3 }), t0, { ok: true, attemptCount: 4 }],
    ["5th attempt", challenge({ attemptCount: 4 }), t0, { ok: true, attemptCount: 5 }],
    ["6th attempt", challenge({ attemptCount: 5 }), t0, challengeExpired],
    ["7th attempt", challenge({ attemptCount: 6 }), t0, challengeExpired],
    ["1 ms before expiry", challenge(), at(CHALLENGE_TTL_IN_SECONDS - 0.001), { ok: true, attemptCount: 1 }],
    ["exactly at expiresAt", challenge(), at(CHALLENGE_TTL_IN_SECONDS), challengeExpired],
    ["after expiry", challenge(), at(CHALLENGE_TTL_IN_SECONDS + 1), challengeExpired],
    ["a consumed challenge", challenge({ consumedAt: at(5) }), at(10), challengeExpired],
  ])("S3 %s → $3", (_label, input, now, expected) => {
    expect(chargeChallengeAttempt(input, now)).toEqual(expected);
  });
});

describe("S3 the first mail of a challenge, setup or action is not a resend", () => {
  it("S3 a first mail within the resend cooldown is sent and restarts the cooldown", () => {
    const sentJustNow = sendBudget(1, t0, at(10));
    expect(chargeEmailSend(sentJustNow, at(20), "first")).toEqual({
      ok: true,
      state: sendBudget(2, t0, at(20)),
    });
    expect(chargeEmailSend(sentJustNow, at(20), "resend")).toMatchObject({
      ok: false,
      retryAfterSeconds: 50,
    });
  });

  it("S3 a first mail still counts toward 5 per 15 minutes", () => {
    expect(chargeEmailSend(sendBudget(5, t0, at(10)), at(20), "first")).toMatchObject({
      ok: false,
      reason: "TOO_MANY_ATTEMPTS",
      retryAfterSeconds: 15 * 60 - 20,
    });
  });
});

describe("S3 isChallengeOpen: code entry and resend need a live challenge", () => {
  it.each<[string, SignInChallenge, Date, boolean]>([
    ["fresh", challenge(), t0, true],
    ["4 wrong codes", challenge({ attemptCount: 4 }), t0, true],
    ["5 wrong codes: dead", challenge({ attemptCount: 5 }), t0, false],
    ["exactly at expiresAt", challenge(), at(CHALLENGE_TTL_IN_SECONDS), false],
    ["consumed", challenge({ consumedAt: at(5) }), at(10), false],
  ])("S3 %s → %s", (_label, input, now, expected) => {
    expect(isChallengeOpen(input, now)).toBe(expected);
  });
});

function sendBudget(count: number, windowStartedAt: Date | null, lastSentAt: Date | null) {
  return { count, windowStartedAt, lastSentAt } satisfies EmailSendBudget;
}

describe("S3 chargeEmailSend: once a minute and at most 5 per 15 minutes; the first mail counts", () => {
  it.each<[string, EmailSendBudget, Date, Charged<EmailSendBudget> | Throttled]>([
    ["the first mail counts as a send", emptyEmailSendBudget, t0, charged(sendBudget(1, t0, t0))],
    ["a resend at once", sendBudget(1, t0, t0), t0, throttled(60)],
    ["a resend after 30.5 s", sendBudget(1, t0, t0), at(30.5), throttled(30)],
    ["a resend after 59 s", sendBudget(1, t0, t0), at(59), throttled(1)],
    ["a resend after 59.999 s", sendBudget(1, t0, t0), at(59.999), throttled(1)],
    ["a resend after exactly 60 s", sendBudget(1, t0, t0), at(60), charged(sendBudget(2, t0, at(60)))],
    ["the 5th send", sendBudget(4, t0, at(180)), at(240), charged(sendBudget(5, t0, at(240)))],
    ["the 6th send within 15 minutes", sendBudget(5, t0, at(240)), at(300), throttled(600)],
    ["the 6th send in the window's last second", sendBudget(5, t0, at(240)), at(899), throttled(1)],
    [
      "a send when the window reopens at exactly 15 minutes",
      sendBudget(5, t0, at(240)),
      at(fifteenMinutes),
      charged(sendBudget(1, at(fifteenMinutes), at(fifteenMinutes))),
    ],
    [
      "the cooldown still applies when the window reopens",
      sendBudget(5, t0, at(880)),
      at(fifteenMinutes),
      throttled(40),
    ],
  ])("S3 %s → $3", (_label, budget, now, expected) => {
    expect(chargeEmailSend(budget, now)).toEqual(expected);
  });

  it("S3 sending once a minute from empty: 5 sends allowed, the 6th refused until the window ends", () => {
    let budget: EmailSendBudget = emptyEmailSendBudget;
    for (let index = 0; index < 5; index++) {
      const result = chargeEmailSend(budget, at(index * 60));
      if (!result.ok) throw new Error(`send ${index + 1} was refused`);
      budget = result.state;
    }
    expect(budget).toEqual(sendBudget(5, t0, at(240)));
    expect(chargeEmailSend(budget, at(300))).toEqual(throttled(fifteenMinutes - 300));
  });
});

const smallLimit: WindowLimit = { limit: 3, windowInSeconds: 60 };
const passwordLimit: WindowLimit = {
  limit: MAX_PASSWORD_FAILURES_PER_ACCOUNT,
  windowInSeconds: PASSWORD_FAILURE_WINDOW_IN_SECONDS,
};

function counter(count: number, windowStartedAt: Date | null): WindowedCounter {
  return { count, windowStartedAt };
}

describe("S3 chargeWindowedCounter: a fixed window", () => {
  it.each<[string, WindowedCounter, WindowLimit, Date, Charged<WindowedCounter> | Throttled]>([
    ["the first charge opens the window", counter(0, null), smallLimit, at(5), charged(counter(1, at(5)))],
    ["a charge within the window counts", counter(1, t0), smallLimit, at(10), charged(counter(2, t0))],
    ["the charge that fills the window", counter(2, t0), smallLimit, at(59), charged(counter(3, t0))],
    ["a charge over the limit is refused", counter(3, t0), smallLimit, at(10), throttled(50)],
    ["retryAfter is at least 1", counter(3, t0), smallLimit, at(59.999), throttled(1)],
    [
      "the window reopens exactly at its end",
      counter(3, t0),
      smallLimit,
      at(60),
      charged(counter(1, at(60))),
    ],
    ["a stale count with no window start", counter(7, null), smallLimit, t0, charged(counter(1, t0))],
    [
      "S3 the 10th password failure per account is counted",
      counter(9, t0),
      passwordLimit,
      at(100),
      charged(counter(10, t0)),
    ],
    [
      "S3 the 11th password failure per account is refused",
      counter(10, t0),
      passwordLimit,
      at(100),
      throttled(800),
    ],
  ])("%s → $4", (_label, input, limit, now, expected) => {
    expect(chargeWindowedCounter(input, limit, now)).toEqual(expected);
  });

  it("keeps the other fields of the counter", () => {
    expect(chargeWindowedCounter(sendBudget(1, t0, at(3)), smallLimit, at(10))).toEqual(
      charged(sendBudget(2, t0, at(3))),
    );
  });
});

describe("S3 checkWindowedCounter: whether a counter is full, without charging it", () => {
  it.each<[string, WindowedCounter, Date, { ok: true } | Throttled]>([
    ["an unopened counter", counter(0, null), t0, { ok: true }],
    ["a counter below its limit", counter(2, t0), at(10), { ok: true }],
    ["a full counter", counter(3, t0), at(10), throttled(50)],
    ["a full counter 1 ms before its end", counter(3, t0), at(59.999), throttled(1)],
    ["a full counter exactly at its end", counter(3, t0), at(60), { ok: true }],
    ["a full counter after its end", counter(4, t0), at(61), { ok: true }],
  ])("S3 %s → $3", (_label, input, now, expected) => {
    expect(checkWindowedCounter(input, smallLimit, now)).toEqual(expected);
  });
});
