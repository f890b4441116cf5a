import { MAX_CONSECUTIVE_FAILED_CODES } from "./constants.js";
import type { UserKind } from "./entities.js";

/**
 * Hard cap (issue 5): the factor's codes charged since its last accepted code. Like S3, a charge
 * counts as failed until a success resets it; the charge that reaches the cap locks the factor.
 */
export interface FactorStreak {
  failedCodeStreak: number;
  lockedAt: Date | null;
}

export type FactorLocked = { ok: false; reason: "TWO_FACTOR_LOCKED" };

const locked: FactorLocked = Object.freeze({ ok: false, reason: "TWO_FACTOR_LOCKED" });

export const isFactorLocked = (factor: FactorStreak): boolean => factor.lockedAt !== null;

/** Before the check: a locked factor checks no code; the charge reaching the cap locks it (`isLockingCharge`). */
export function chargeFactorStreak(
  factor: FactorStreak,
  now: Date,
): { ok: true; state: FactorStreak; isLockingCharge: boolean } | FactorLocked {
  if (isFactorLocked(factor)) return locked;
  const failedCodeStreak = factor.failedCodeStreak + 1;
  const isLockingCharge = failedCodeStreak >= MAX_CONSECUTIVE_FAILED_CODES;
  return { ok: true, state: { failedCodeStreak, lockedAt: isLockingCharge ? now : null }, isLockingCharge };
}

/**
 * Who may leave a locked factor by a recovery code: a root user. A member's is unlocked only by the
 * root user's Remove 2FA, so a member with the right password is told at once, and no code is mailed
 * to either (none would be checked).
 */
export const mayRecoverLockedFactor = (userKind: UserKind): boolean => userKind === "root";

/**
 * An accepted code resets the streak. A code is accepted on a locked factor only by the charge that
 * locked it (the 100th code was right after all). A recovery code unlocks a root user's factor, never
 * a member's (the root user's Remove 2FA does), and it never removes 2FA (R4).
 */
export function settleFactorStreak(
  factor: FactorStreak,
  by: { kind: "code"; isLockingCharge: boolean } | { kind: "recovery_code"; userKind: UserKind },
): { ok: true; state: FactorStreak } | FactorLocked {
  if (isFactorLocked(factor)) {
    const mayOpen = by.kind === "code" ? by.isLockingCharge : mayRecoverLockedFactor(by.userKind);
    if (!mayOpen) return locked;
  }
  return { ok: true, state: { failedCodeStreak: 0, lockedAt: null } };
}
