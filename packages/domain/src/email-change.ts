import { allow, type Decision, refuse } from "./errors.js";

/** §6.4: a signed-in root user may ask this many changes of its address an hour (each mails two addresses). */
export const MAX_EMAIL_CHANGES_PER_USER = 5;
export const EMAIL_CHANGE_WINDOW_IN_SECONDS = 60 * 60;

/**
 * §6.4: only a root user changes its own sign-in address (a member's address belongs to its team),
 * and only to another address. Both addresses come normalized (trimmed, lower case).
 */
export function canRequestEmailChange(
  user: { kind: "root" | "member" },
  addresses: { currentEmailNormalized: string; newEmailNormalized: string },
): Decision {
  if (user.kind !== "root") return refuse("FORBIDDEN");
  if (addresses.newEmailNormalized === addresses.currentEmailNormalized) return refuse("VALIDATION_FAILED");
  return allow;
}
