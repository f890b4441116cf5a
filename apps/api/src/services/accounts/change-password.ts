import { mustSignInWithSso } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { admitPasswordHash } from "../../crypto/passwords.js";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { passwordChangedMessage } from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess, type SessionUser } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { checkPasswordAgain } from "../limits/password-recheck.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp, stepUpStateOf } from "../step-up/require-step-up.js";
import { requireStrongPassword } from "./password-rules.js";

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
  await checkPasswordAgain(deps, auth.row, input.currentPassword, meta, { isPasswordOnPage: true });
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
