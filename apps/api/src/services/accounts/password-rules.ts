import { checkNewPassword, weakPasswordReasons } from "@cloud2fa/domain";
import { isCommonPassword } from "../../crypto/common-passwords.js";
import { AppError } from "../../http/errors.js";

/**
 * §6.3 for sign-up, invitation, reset and change: 400 WEAK_PASSWORD with the domain's reason (and its
 * sentence as the message) for the body field `field`, before anything is hashed or written. §6.2:
 * `replaced` is the password a change or an activation replaces.
 */
export function requireStrongPassword(
  password: string,
  input: { email: string; field: string; replaced?: string },
): void {
  const checked = checkNewPassword(password, {
    email: input.email,
    isCommon: isCommonPassword,
    ...(input.replaced !== undefined && { replaced: input.replaced }),
  });
  if (!checked.ok) {
    throw new AppError("WEAK_PASSWORD", {
      message: weakPasswordReasons[checked.reason],
      detail: { reason: checked.reason, field: input.field },
    });
  }
}
