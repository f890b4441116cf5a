import type { Queryable } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { twoFactorChangedMessage } from "../../mail/messages.js";
import { enqueueMail } from "../mail.js";
import type { NoticeRecipients } from "./notify-security.js";

/**
 * R11: enabling or removing 2FA mails the user at once and, for a member, the root user. Queued in
 * the change's own transaction (`q`), so the change never commits without its notices; the outbox
 * sends them without holding the answer (a stalled mail server must not cost a user the recovery
 * codes shown in it).
 */
export async function notifyTwoFactorChange(
  q: Queryable,
  deps: Pick<Deps, "clock" | "random" | "keys" | "outbox">,
  recipients: NoticeRecipients,
  input: { change: "enabled" | "removed"; by: string; at: Date; reason?: string | undefined },
): Promise<void> {
  const base = { ...input, subjectEmail: recipients.subjectEmail };
  const messages = [twoFactorChangedMessage(recipients.subjectEmail, { ...base, isSubject: true })];
  if (recipients.rootEmail)
    messages.push(twoFactorChangedMessage(recipients.rootEmail, { ...base, isSubject: false }));
  await enqueueMail(q, deps, ...messages);
}
