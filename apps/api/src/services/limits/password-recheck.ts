import { admitPasswordHash } from "../../crypto/passwords.js";
import { queryRows, type Tx } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import type { RequestMeta } from "../context.js";
import type { UserRow } from "../users.js";
import {
  chargeSignInAccount,
  passwordThrottleOf,
  reauthThrottleOf,
  refundPasswordAttemptStatement,
  reservePasswordAttempt,
} from "./password-throttle.js";

/**
 * The password asked again of a signed-in user (R11 at the 2FA setup, §6.2 at a change, §6.4 at an
 * email change). S3: the user's own re-check key and the client address are reserved before the
 * argon2 check, so a stolen session cannot guess here without limit and a stranger's wrong sign-ins
 * cannot lock the owner out of it; a right one gives both back. A wrong one also counts on the
 * sign-in's key, with `onRefused` (its audit event, say) in the same transaction, then answers
 * INVALID_CREDENTIALS (400 with `isPasswordOnPage`: SPEC §4, a password typed on a page that is no
 * sign-in).
 */
export async function checkPasswordAgain(
  deps: Deps,
  row: UserRow,
  password: string,
  meta: RequestMeta,
  options: { isPasswordOnPage: boolean; onRefused?: (tx: Tx) => Promise<void> },
): Promise<void> {
  const now = deps.clock.now();
  const throttle = reauthThrottleOf(row.id, meta.clientAddress);
  const hashing = admitPasswordHash(meta.clientAddress, deps.passwordHashCost);
  let isPasswordRight: boolean;
  try {
    await reservePasswordAttempt(deps.db, throttle, now);
    isPasswordRight = await hashing.verify(row.passwordHash, password);
  } finally {
    hashing.release();
  }
  if (isPasswordRight) {
    await queryRows(deps.db, refundPasswordAttemptStatement(throttle));
    return;
  }
  const signIn = passwordThrottleOf(row, meta.clientAddress);
  await deps.db.transaction(async (tx) => {
    await chargeSignInAccount(tx, signIn, now);
    await options.onRefused?.(tx);
  });
  throw new AppError("INVALID_CREDENTIALS", { isPasswordOnPage: options.isPasswordOnPage });
}
