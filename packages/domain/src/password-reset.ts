import type { User } from "./entities.js";

/**
 * §6.1: who a reset link is mailed to, and whose link still works: a root user whose address is
 * verified, an active member that signs in with a password (not SSO). Everyone else gets the same
 * answer and no mail (S6).
 */
export function canResetPassword(user: User): boolean {
  if (user.kind === "root") return user.isEmailVerified;
  return user.status === "active" && !user.isSso;
}
