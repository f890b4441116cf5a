import type { Deps } from "../../deps.js";
import { twoFactorChangedMessage } from "../../mail/messages.js";
import { sendMail } from "../mail.js";
import type { NoticeRecipients } from "./notify-security.js";

/**
 * R11: enabling or removing 2FA mails the user at once and, for a member, the root user. The
 * recipients are read in the change's own transaction; the mail goes out after it commits without
 * holding the answer (a stalled mail server must not cost a user the recovery codes shown in it), and
 * sendMail logs its own failures.
 */
export function notifyTwoFactorChange(
  deps: Deps,
  recipients: NoticeRecipients,
  input: { change: "enabled" | "removed"; by: string; at: Date; reason?: string | undefined },
): void {
  const base = { ...input, subjectEmail: recipients.subjectEmail };
  const messages = [twoFactorChangedMessage(recipients.subjectEmail, { ...base, isSubject: true })];
  if (recipients.rootEmail)
    messages.push(twoFactorChangedMessage(recipients.rootEmail, { ...base, isSubject: false }));
  void sendMail(deps, ...messages);
}
