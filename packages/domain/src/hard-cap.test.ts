import { describe, expect, it } from "vitest";
import { MAX_CONSECUTIVE_FAILED_CODES } from "./constants.js";
import {
  chargeFactorStreak,
  type FactorStreak,
  isFactorLocked,
  mayRecoverLockedFactor,
  settleFactorStreak,
} from "./hard-cap.js";

const now = new Date("2026-01-01T00:00:00Z");
const earlier = new Date("2025-12-31T00:00:00Z");
const open = (failedCodeStreak: number): FactorStreak => ({ failedCodeStreak, lockedAt: null });
const lockedFactor: FactorStreak = { failedCodeStreak: 100, lockedAt: earlier };
const refused = { ok: false, reason: "TWO_FACTOR_LOCKED" };
const reset = { ok: true, state: { failedCodeStreak: 0, lockedAt: null } };

describe("hard cap: charging the factor's streak before the check", () => {
  it("the cap is 100 consecutive failed codes", () => {
    expect(MAX_CONSECUTIVE_FAILED_CODES).toBe(100);
  });

  it.each([
    ["a fresh factor", open(0), { ok: true, state: open(1), isLockingCharge: false }],
    ["98 failed: the 99th leaves it open", open(98), { ok: true, state: open(99), isLockingCharge: false }],
    [
      "99 failed: the 100th charge locks",
      open(99),
      { ok: true, state: { failedCodeStreak: 100, lockedAt: now }, isLockingCharge: true },
    ],
    [
      "100 without a lock (never written so): the 101st locks",
      open(100),
      { ok: true, state: { failedCodeStreak: 101, lockedAt: now }, isLockingCharge: true },
    ],
    ["locked: refused, nothing charged", lockedFactor, refused],
    ["locked with a small streak: still refused", { failedCodeStreak: 3, lockedAt: earlier }, refused],
  ] as const)("hard cap %s", (_label, factor, expected) => {
    expect(chargeFactorStreak(factor, now)).toEqual(expected);
  });

  it("hard cap isFactorLocked reads locked_at only", () => {
    expect(isFactorLocked(open(99))).toBe(false);
    expect(isFactorLocked(open(101))).toBe(false);
    expect(isFactorLocked(lockedFactor)).toBe(true);
  });
});

describe("hard cap: settling an accepted code", () => {
  it.each([
    ["a code at 99 resets to 0", open(99), { kind: "code", isLockingCharge: false }, reset],
    ["a code accepted on an open factor", open(1), { kind: "code", isLockingCharge: false }, reset],
    [
      "the locking charge's own right code opens it",
      lockedFactor,
      { kind: "code", isLockingCharge: true },
      reset,
    ],
    [
      "another code on a locked factor is refused",
      lockedFactor,
      { kind: "code", isLockingCharge: false },
      refused,
    ],
    ["a root user's recovery code unlocks", lockedFactor, { kind: "recovery_code", userKind: "root" }, reset],
    [
      "a member's recovery code does not unlock",
      lockedFactor,
      { kind: "recovery_code", userKind: "member" },
      refused,
    ],
    [
      "a member's recovery code on an open factor resets",
      open(42),
      { kind: "recovery_code", userKind: "member" },
      reset,
    ],
  ] as const)("hard cap %s", (_label, factor, by, expected) => {
    expect(settleFactorStreak(factor, by)).toEqual(expected);
  });
});

describe("hard cap: a locked factor at the password step", () => {
  it.each([
    { kind: "root" as const, expected: true },
    { kind: "member" as const, expected: false },
  ])("hard cap: a $kind may leave a locked factor by a recovery code → $expected", ({ kind, expected }) => {
    expect(mayRecoverLockedFactor(kind)).toBe(expected);
  });
});
