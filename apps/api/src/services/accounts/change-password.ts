import { mustSignInWithSso } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { admitPasswordHash } from "../../crypto/passwords.js";
import { queryRows } from "../../db/connect.js";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { passwordChangedMessage } from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess, type SessionUser } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import {
  chargeSignInAccount,
  passwordThrottleOf,
  reauthThrottleOf,
  refundPasswordAttemptStatement,
  reservePasswordAttempt,
} from "../limits/password-throttle.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp, stepUpStateOf } from "../step-up/require-step-up.js";
import { requireStrongPassword } from "./password-rules.js";

/**
 * §6.2, S3: the current password is checked as the 2FA setup's re-check is (start-setup.ts): the
 * user's re-check key and the client address reserved before argon2, a right one given back, a
 * wrong one also charged on the sign-in key, so a stolen session cannot guess here without limit.
 */
async function checkCurrentPassword(
  deps: ServiceCall<unknown>["deps"],
  auth: SessionUser,
  password: string,
  meta: ServiceCall<unknown>["meta"],
): Promise<void> {
  const now = deps.clock.now();
  const throttle = reauthThrottleOf(auth.row.id, meta.clientAddress);
  const hashing = admitPasswordHash(meta.clientAddress, deps.passwordHashCost);
  let isPasswordRight: boolean;
  try {
    await reservePasswordAttempt(deps.db, throttle, now);
    isPasswordRight = await hashing.verify(auth.row.passwordHash, password);
  } finally {
    hashing.release();
  }
  if (isPasswordRight) {
    await queryRows(deps.db, refundPasswordAttemptStatement(throttle));
    return;
  }
  const signIn = passwordThrottleOf(
    { ...auth.user, emailNormalized: auth.row.emailNormalized },
    meta.clientAddress,
  );
  await chargeSignInAccount(deps.db, signIn, now);
  throw new AppError("INVALID_CREDENTIALS", { isPasswordOnPage: true });
}

/**
 * §6.2: the rules first (step-up, §6.3, not the current one), so bad input changes and charges
 * nothing; then the current password; then, in one transaction, the new hash, the end of every
 * other session and open challenge (this one is kept), the notice and the audit event. The hash is
 * replaced only if it is still the one checked: of two changes at once, one wins.
 */
export async function changePassword({
  deps,
  input,
  meta,
}: ServiceCall<{ auth: SessionUser; currentPassword: string; newPassword: string }>): Promise<void> {
  const { auth } = input;
  const now = deps.clock.now();
  // §7.3: an SSO member of a team whose SSO is on has no password to change.
  if (mustSignInWithSso(auth.user, auth.isTeamSsoEnabled)) throw new AppError("SSO_SIGN_IN_REQUIRED");
  if (auth.enabled) requireStepUp(stepUpStateOf(auth), now);
  requireStrongPassword(input.newPassword, {
    email: auth.row.email,
    field: "newPassword",
    replaced: input.currentPassword,
  });
  await checkCurrentPassword(deps, auth, input.currentPassword, meta);
  const passwordHash = await admitPasswordHash(meta.clientAddress, deps.passwordHashCost).hash(
    input.newPassword,
  );
  await deps.db.transaction(async (tx) => {
    const [changed] = await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: false })
      .where(and(eq(users.id, auth.row.id), eq(users.passwordHash, auth.row.passwordHash)))
      .returning({ id: users.id });
    if (!changed) throw new AppError("INVALID_CREDENTIALS", { isPasswordOnPage: true });
    await revokeUserAccess(tx, { userId: auth.row.id, now, exceptSessionId: auth.sessionId });
    await recordAuditEvent(tx, deps, {
      accountId: auth.row.accountId,
      type: "account.password_changed",
      actor: partyOf(auth.row),
      subject: partyOf(auth.row),
      meta,
      detail: { otherSessionsSignedOut: true },
    });
    await enqueueMail(tx, deps, passwordChangedMessage(auth.row.email, { at: now, ...meta }));
  });
}
