import type { Deps } from "../../deps.js";
import { twoFactorChangedMessage } from "../../mail/messages.js";
import { sendMail } from "../mail.js";
import { findRootOfAccount, type UserRow } from "../users.js";

/** R11: enabling or removing 2FA mails the user at once and, for a member, the root user. */
export async function notifyTwoFactorChange(
  deps: Deps,
  input: {
    change: "enabled" | "removed";
    subject: UserRow;
    actor: UserRow;
    at: Date;
    reason?: string | undefined;
  },
): Promise<void> {
  const { subject, actor } = input;
  const base = {
    change: input.change,
    subjectEmail: subject.email,
    by: actor.email,
    at: input.at,
    reason: input.reason,
  };
  const messages = [twoFactorChangedMessage(subject.email, { ...base, isSubject: true })];
  if (subject.kind === "member") {
    const root = await findRootOfAccount(deps.db, subject.accountId);
    if (root) messages.push(twoFactorChangedMessage(root.email, { ...base, isSubject: false }));
  }
  await sendMail(deps, ...messages);
}
