import { sql } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import { queryRows } from "../../db/connect.js";
import { isUniqueViolation } from "../../db/errors.js";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { emailChangedNewAddressMessage, emailChangedOldAddressMessage } from "../../mail/messages.js";
import { recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { enqueueMail } from "../mail.js";
import { maskEmail } from "../two-factor/start-setup.js";
import { normalizeEmail } from "../users.js";
import { passwordFingerprint } from "./request-email-change.js";

const TAKEN_MESSAGE =
  "This address already signs in to another account, so it cannot become yours. Nothing changed.";

interface ConsumedLink {
  userId: string;
  newEmail: string;
  oldEmail: string;
  accountId: string;
}

/**
 * §6.4: the link alone confirms (it proves the new mailbox; the password and step-up were asked with
 * the request), so it works in another browser and without a session. In one transaction: the link is
 * spent by one conditional write (alive, unspent, the user still a root user on the password it was
 * asked with), then the address is set; the unique index on root addresses settles a race with a
 * sign-up or another change of the same address (409 EMAIL_TAKEN, nothing written). Sessions are kept.
 */
export async function confirmEmailChange({
  deps,
  input,
  meta,
}: ServiceCall<{ token: string }>): Promise<{ email: string }> {
  const now = deps.clock.now();
  const at = sql`${now.toISOString()}::timestamptz`;
  const tokenHash = hashToken(input.token);
  const confirm = () =>
    deps.db.transaction(async (tx) => {
      // The user's row is locked first: a password change meanwhile waits, or comes first and voids the link.
      const [owner] = await queryRows<{ passwordHash: string }>(
        tx,
        sql`select u.password_hash as "passwordHash" from one_time_tokens t
          join users u on u.id = t.user_id and u.kind = 'root'
          where t.token_hash = ${tokenHash} and t.purpose = 'change_email'
          for no key update of u`,
      );
      if (!owner) throw new AppError("INVALID_TOKEN");
      const [link] = await queryRows<ConsumedLink>(
        tx,
        sql`update one_time_tokens t set consumed_at = ${at}
          from users u
          where t.token_hash = ${tokenHash} and t.purpose = 'change_email'
            and t.consumed_at is null and t.expires_at > ${at} and t.new_email is not null
            and t.password_hash = ${passwordFingerprint(owner.passwordHash)} and u.id = t.user_id
          returning t.user_id as "userId", t.new_email as "newEmail", u.email as "oldEmail",
            u.account_id as "accountId"`,
      );
      if (!link) throw new AppError("INVALID_TOKEN");
      const newEmailNormalized = normalizeEmail(link.newEmail);
      const [taken] = await queryRows(
        tx,
        sql`select 1 from users where kind = 'root' and email_normalized = ${newEmailNormalized}
          and id <> ${link.userId}`,
      );
      if (taken) throw new AppError("EMAIL_TAKEN", { message: TAKEN_MESSAGE });
      await tx
        .update(users)
        .set({ email: link.newEmail, emailNormalized: newEmailNormalized, emailVerifiedAt: now })
        .where(sql`${users.id} = ${link.userId}`);
      await enqueueMail(
        tx,
        deps,
        emailChangedOldAddressMessage(link.oldEmail, {
          maskedNewEmail: maskEmail(link.newEmail),
          at: now,
          ...meta,
        }),
        emailChangedNewAddressMessage(link.newEmail, { at: now }),
      );
      const party = { id: link.userId, kind: "root" as const, email: link.newEmail };
      await recordAuditEvent(tx, deps, {
        accountId: link.accountId,
        type: "account.email_changed",
        actor: party,
        subject: party,
        meta,
        detail: { from: link.oldEmail, to: link.newEmail },
      });
      return { email: link.newEmail };
    });
  return confirm().catch((error: unknown) => {
    if (isUniqueViolation(error)) throw new AppError("EMAIL_TAKEN", { message: TAKEN_MESSAGE });
    throw error;
  });
}
