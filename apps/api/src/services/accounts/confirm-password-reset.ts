import { canResetPassword } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { admitPasswordHash } from "../../crypto/passwords.js";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { passwordResetNoticeMessage } from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { enqueueMail } from "../mail.js";
import { toDomainUser } from "../users.js";
import { consumeOneTimeToken, findLinkUser } from "./consume-token.js";
import { requireStrongPassword } from "./password-rules.js";

/** The user of a live reset link who may still reset (a member disabled since gets nothing). */
async function findResettingUser(deps: ServiceCall<unknown>["deps"], token: string, now: Date) {
  const user = await findLinkUser(deps.db, { token, purpose: "reset_password", now });
  if (!user || !canResetPassword(toDomainUser(user))) throw new AppError("INVALID_TOKEN");
  return user;
}

/**
 * §6.1: a live link and a password that passes §6.3 (checked before the link is used, so bad input
 * changes nothing) set the new password in one transaction that uses the link up, ends every
 * session and open sign-in challenge (R2: the next sign-in asks for the password, then the code),
 * mails a notice and audits it. It opens no session and leaves the second factor, its code budgets
 * and the hard-cap lock as they are.
 */
export async function confirmPasswordReset({
  deps,
  input,
  meta,
}: ServiceCall<{ token: string; password: string }>): Promise<void> {
  const now = deps.clock.now();
  const user = await findResettingUser(deps, input.token, now);
  requireStrongPassword(input.password, { email: user.email, field: "password" });
  const passwordHash = await admitPasswordHash(meta.clientAddress, deps.passwordHashCost).hash(
    input.password,
  );
  await deps.db.transaction(async (tx) => {
    // Two confirms of one link at once: this conditional write lets exactly one through.
    const { userId } = await consumeOneTimeToken(tx, { token: input.token, purpose: "reset_password", now });
    const [row] = await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: false })
      .where(eq(users.id, userId))
      .returning();
    if (!row || !canResetPassword(toDomainUser(row))) throw new AppError("INVALID_TOKEN");
    await revokeUserAccess(tx, { userId, now });
    const notice = {
      subjectEmail: row.email,
      isSubject: true,
      at: now,
      clientAddress: meta.clientAddress,
      userAgent: meta.userAgent,
    };
    await enqueueMail(tx, deps, passwordResetNoticeMessage(row.email, notice));
    await recordAuditEvent(tx, deps, {
      accountId: row.accountId,
      type: "account.password_reset",
      actor: partyOf(row),
      subject: partyOf(row),
      meta,
    });
  });
}
