import { MAX_CONSECUTIVE_FAILED_CODES } from "@cloud2fa/domain";
import type { Queryable } from "../../db/connect.js";
import type { MailMessage } from "../../mail/mailer.js";
import {
  codeEntryLockedMessage,
  factorLockedMessage,
  failedSignInCodeMessage,
  recoveryCodeUsedMessage,
  type SecurityNotice,
} from "../../mail/messages.js";
import type { RequestMeta } from "../context.js";
import { findRootOfAccount, type UserRow } from "../users.js";

/** The user and, for a member, the root user of its account (null for a root user). */
export interface NoticeRecipients {
  subjectEmail: string;
  rootEmail: string | null;
}

export async function recipientsOf(q: Queryable, subject: UserRow): Promise<NoticeRecipients> {
  const root = subject.kind === "member" ? await findRootOfAccount(q, subject.accountId) : null;
  return { subjectEmail: subject.email, rootEmail: root?.email ?? null };
}

function toEveryone(
  recipients: NoticeRecipients,
  facts: { at: Date; meta: RequestMeta },
  message: (to: string, notice: SecurityNotice) => MailMessage,
): MailMessage[] {
  const notice = { subjectEmail: recipients.subjectEmail, at: facts.at, ...facts.meta };
  const messages = [message(recipients.subjectEmail, { ...notice, isSubject: true })];
  if (recipients.rootEmail) messages.push(message(recipients.rootEmail, { ...notice, isSubject: false }));
  return messages;
}

/** A wrong code locked code entry (S3): mailed once, by the attempt whose charge set the lock. */
export function codeEntryLockedNotices(
  recipients: NoticeRecipients,
  facts: { at: Date; meta: RequestMeta; lockedUntil: Date },
): MailMessage[] {
  const { lockedUntil } = facts;
  return toEveryone(recipients, facts, (to, notice) =>
    codeEntryLockedMessage(to, { ...notice, lockedUntil }),
  );
}

/** Hard cap: the wrong code that reached the cap locked the factor; mailed once, by that attempt. */
export function factorLockedNotices(
  recipients: NoticeRecipients,
  facts: { at: Date; meta: RequestMeta; subjectKind: "root" | "member" },
): MailMessage[] {
  const { subjectKind } = facts;
  return toEveryone(recipients, facts, (to, notice) =>
    factorLockedMessage(to, { ...notice, subjectKind, failedCodes: MAX_CONSECUTIVE_FAILED_CODES }),
  );
}

/** The password passed but the code did not: mailed on a challenge's first wrong code only. */
export function failedSignInCodeNotices(
  recipients: NoticeRecipients,
  facts: { at: Date; meta: RequestMeta },
): MailMessage[] {
  return toEveryone(recipients, facts, failedSignInCodeMessage);
}

/** A recovery code signed in: the user (and the root user, for a member) learn how many are left. */
export function recoveryCodeUsedNotices(
  recipients: NoticeRecipients,
  facts: { at: Date; meta: RequestMeta; remaining: number },
): MailMessage[] {
  const { remaining } = facts;
  return toEveryone(recipients, facts, (to, notice) => recoveryCodeUsedMessage(to, { ...notice, remaining }));
}
