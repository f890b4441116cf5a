import type { Member, TwoFactorMethod, TwoFactorState, User } from "./entities.js";
import { allow, type Decision, refuse } from "./errors.js";
import { isPast } from "./time.js";

/** R7: root users choose email or the authenticator app; members use the app. */
export function allowedTwoFactorMethods(user: User): readonly TwoFactorMethod[] {
  return user.kind === "root" ? ["totp", "email"] : ["totp"];
}

/** Whether a user may configure 2FA at all, whatever the method: R3, R6, R1 in that order. */
export function canConfigureTwoFactor(user: User, twoFactor: TwoFactorState): Decision {
  if (twoFactor.state === "enabled") return refuse("TWO_FACTOR_ALREADY_CONFIGURED"); // R3
  if (user.kind === "member") {
    if (user.isSso) return refuse("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR"); // R6
    if (user.status !== "active") return refuse("ACCOUNT_NOT_ACTIVE"); // R1
  }
  return allow;
}

/** Starting a setup (R1, R3, R6, R7). R11's password re-check is the caller's, in the same request. */
export function canStartSetup(user: User, twoFactor: TwoFactorState, method: TwoFactorMethod): Decision {
  const configurable = canConfigureTwoFactor(user, twoFactor);
  if (!configurable.ok) return configurable;
  if (!allowedTwoFactorMethods(user).includes(method)) return refuse("METHOD_NOT_ALLOWED"); // R7
  return allow;
}

/** R8: only a live pending setup can be confirmed; the rules are checked again at confirmation. */
export function canConfirmSetup(
  user: User,
  twoFactor: TwoFactorState,
  now: Date,
): Decision<{ method: TwoFactorMethod }> {
  const configurable = canConfigureTwoFactor(user, twoFactor);
  if (!configurable.ok) return configurable;
  if (twoFactor.state !== "pending" || isPast(twoFactor.expiresAt, now)) {
    return refuse("NO_PENDING_SETUP");
  }
  if (!allowedTwoFactorMethods(user).includes(twoFactor.method)) {
    return refuse("METHOD_NOT_ALLOWED");
  }
  return { ok: true, method: twoFactor.method };
}

/** R4, R10: only the root user removes their own 2FA (after a current code, checked by the caller). */
export function canRemoveOwnTwoFactor(user: User, twoFactor: TwoFactorState): Decision {
  if (user.kind === "member") return refuse("FORBIDDEN"); // R4
  if (twoFactor.state !== "enabled") return refuse("NOT_FOUND");
  return allow;
}

/** R2: once 2FA is enabled every sign-in needs a code of its method. */
export function secondFactorRequired(twoFactor: TwoFactorState): TwoFactorMethod | null {
  return twoFactor.state === "enabled" ? twoFactor.method : null;
}

/** Whether a password-verified user may sign in at all. */
export function canSignIn(user: User): Decision {
  if (user.kind === "root") return user.isEmailVerified ? allow : refuse("EMAIL_NOT_VERIFIED");
  return user.status === "active" ? allow : refuse("ACCOUNT_NOT_ACTIVE");
}

/** Member states: pending → active only by activation; active ⇄ disabled by root or an administrator. */
export function canChangeMemberStatus(member: Pick<Member, "status">): Decision {
  if (member.status === "pending") return refuse("ACCOUNT_NOT_ACTIVE");
  return allow;
}

export function canActivateMember(member: Member): Decision {
  return member.status === "pending" ? allow : refuse("INVALID_TOKEN");
}

/** Setting the SSO flag on a member with 2FA is refused; setting it cancels a pending setup. */
export function canChangeSso(
  twoFactor: TwoFactorState,
  isSso: boolean,
): Decision<{ cancelsPendingSetup: boolean }> {
  if (!isSso) return { ok: true, cancelsPendingSetup: false };
  if (twoFactor.state === "enabled") return refuse("TWO_FACTOR_ALREADY_CONFIGURED");
  return { ok: true, cancelsPendingSetup: twoFactor.state === "pending" };
}
