import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./constants.js";

/** §6.3: why a new password is refused (NIST 800-63B §3.1.1.2: length, a list of common ones, no composition rules). */
export const weakPasswordReasons = {
  too_short: `Use at least ${MIN_PASSWORD_LENGTH} characters.`,
  too_long: `Use at most ${MAX_PASSWORD_LENGTH} characters.`,
  common: "This password is one of the most common ones. Choose one that is harder to guess.",
  same_as_email: "Do not use your email address as your password.",
  same_as_current: "Choose a password different from the one you have now.",
} as const;

export type WeakPasswordReason = keyof typeof weakPasswordReasons;

export type PasswordCheck = { ok: true } | { ok: false; reason: WeakPasswordReason };

/**
 * §6.3 for sign-up, invitation, reset and change: bounds after NFKC, not among the common passwords
 * (`isCommon`, given the lower-cased normalised password, from a maintained list), not the email;
 * §6.2: not the password it replaces (`replaced`, at a change or an activation), compared after NFKC.
 * Length counts characters (code points), not UTF-16 units. The password is hashed as typed, so the
 * hashes of passwords chosen before this rule still match.
 */
export function checkNewPassword(
  password: string,
  context: { email: string; isCommon: (lowerCased: string) => boolean; replaced?: string },
): PasswordCheck {
  const normalized = password.normalize("NFKC");
  const length = [...normalized].length;
  if (length < MIN_PASSWORD_LENGTH) return { ok: false, reason: "too_short" };
  if (length > MAX_PASSWORD_LENGTH) return { ok: false, reason: "too_long" };
  const lowerCased = normalized.toLowerCase();
  if (lowerCased.trim() === context.email.trim().toLowerCase()) return { ok: false, reason: "same_as_email" };
  if (context.replaced !== undefined && normalized === context.replaced.normalize("NFKC")) {
    return { ok: false, reason: "same_as_current" };
  }
  if (context.isCommon(lowerCased)) return { ok: false, reason: "common" };
  return { ok: true };
}
