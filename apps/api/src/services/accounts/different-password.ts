import { weakPasswordReasons } from "@cloud2fa/domain";
import { AppError } from "../../http/errors.js";

/**
 * §6.2: a new password must differ from the one it replaces (compared after NFKC, as §6.3 counts):
 * 400 WEAK_PASSWORD `same_as_current` for the body field `field`, before anything is charged or hashed.
 */
export function requireDifferentPassword(
  newPassword: string,
  replaced: string,
  input: { field: string },
): void {
  if (newPassword.normalize("NFKC") !== replaced.normalize("NFKC")) return;
  throw new AppError("WEAK_PASSWORD", {
    message: weakPasswordReasons.same_as_current,
    detail: { reason: "same_as_current", field: input.field },
  });
}
