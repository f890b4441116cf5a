import { deviceLabel } from "../http/user-agent.js";
import type { MailMessage } from "./mailer.js";

const minutes = (seconds: number) => Math.round(seconds / 60);

export function verifyEmailMessage(to: string, link: string): MailMessage {
  return {
    to,
    subject: "Verify your cloud2fa email address",
    // S6 (pre-hijack): anyone can sign up with any address; the link activates only the password typed on its page.
    text: `Welcome to cloud2fa.\n\nTo finish signing up, open this link and enter the password you chose when you signed up (the link works for 24 hours):\n${link}\n\nIf you did not sign up, ignore this message: without the password chosen at sign-up the link activates nothing.\n`,
  };
}

export function signUpAttemptMessage(to: string): MailMessage {
  return {
    to,
    subject: "Someone tried to sign up with your email address",
    text: "Someone tried to create a cloud2fa account with this address, which already has one.\nIf it was you, sign in instead. Otherwise you can ignore this message.\n",
  };
}

export function invitationMessage(
  to: string,
  input: { link: string; signInUrl: string; accountId: string; invitedBy: string },
): MailMessage {
  return {
    to,
    subject: "You are invited to a cloud2fa team",
    text: `${input.invitedBy} invited you to the team of account ${input.accountId}.\n\nActivate your member account (the link works once, for 7 days):\n${input.link}\n\nTo activate it, enter the initial password ${input.invitedBy} gave you, then choose a new password of your own: from then on only your password works.\n\nThen sign in at the team member sign-in page:\n${input.signInUrl}\nAccount ID: ${input.accountId}\n`,
  };
}

export function emailCodeMessage(
  to: string,
  input: { code: string; purpose: "sign_in" | "setup" | "action"; ttlInSeconds: number },
): MailMessage {
  const what = {
    sign_in: "to finish signing in",
    setup: "to turn on two-factor authentication by email",
    action: "to confirm a change to your two-factor authentication",
  }[input.purpose];
  return {
    to,
    // Never the code in a subject, which mail servers and delivery logs keep in the clear.
    subject: "Your cloud2fa code",
    text: `Your code ${what} is:\n\n    ${input.code}\n\nIt is valid for ${minutes(input.ttlInSeconds)} minutes and works once. If you did not ask for it, someone knows your password: change it.\n`,
  };
}

export function twoFactorChangedMessage(
  to: string,
  input: {
    change: "enabled" | "removed";
    subjectEmail: string;
    by: string;
    at: Date;
    isSubject: boolean;
    reason?: string | undefined;
  },
): MailMessage {
  const whose = input.isSubject ? "your account" : `the member account ${input.subjectEmail}`;
  const reason = input.reason ? `\nReason given: ${input.reason}\n` : "";
  return {
    to,
    subject: `Two-factor authentication ${input.change} for ${input.isSubject ? "your account" : input.subjectEmail}`,
    text: `Two-factor authentication was ${input.change} for ${whose} by ${input.by} at ${input.at.toISOString()}.\n${reason}\nIf this was not expected, the root user can remove the two-factor authentication from the Team page and the member can set it up again.\n`,
  };
}

/** To the root user: a member whose sign-in was protected by a second factor no longer exists. */
export function memberWithTwoFactorDeletedMessage(
  to: string,
  input: { memberEmail: string; method: "totp" | "email"; by: string; at: Date },
): MailMessage {
  const method = input.method === "totp" ? "an authenticator app" : "email codes";
  return {
    to,
    subject: `Member account ${input.memberEmail} deleted`,
    text: `The member account ${input.memberEmail}, which signed in with two-factor authentication (${method}), was deleted by ${input.by} at ${input.at.toISOString()}.\n\nDeleting a member cannot be undone. If this was not expected, check the Team page and the audit log, and invite the person again if they still need access.\n`,
  };
}

/** Who, when and from where: the facts a security notice gives, in the words of the mail. */
export interface SecurityNotice {
  subjectEmail: string;
  isSubject: boolean;
  at: Date;
  clientAddress: string | null;
  userAgent: string | null;
}

const whoseAccount = (notice: SecurityNotice) =>
  notice.isSubject ? "your account" : `the member account ${notice.subjectEmail}`;
const origin = (notice: SecurityNotice) =>
  `Time: ${notice.at.toISOString()}\nClient address: ${notice.clientAddress ?? "unknown"}\nDevice: ${deviceLabel(notice.userAgent)}\n`;

export function codeEntryLockedMessage(
  to: string,
  notice: SecurityNotice & { lockedUntil: Date },
): MailMessage {
  return {
    to,
    subject: `Code entry locked for ${notice.isSubject ? "your account" : notice.subjectEmail}`,
    text: `Too many wrong two-factor codes were entered for ${whoseAccount(notice)}, so code entry is locked until ${notice.lockedUntil.toISOString()}.\n\n${origin(notice)}\nIf this was not you, someone knows the password: change it.\n`,
  };
}

/** Hard cap: says what unlocks the factor, which depends on whose it is. */
export function factorLockedMessage(
  to: string,
  notice: SecurityNotice & { subjectKind: "root" | "member"; failedCodes: number },
): MailMessage {
  const unlock =
    notice.subjectKind === "root"
      ? 'To unlock it, sign in with one of your recovery codes (choose "Use a recovery code" at the code step).'
      : notice.isSubject
        ? "To unlock it, ask the root user of your team to remove your two-factor authentication (Team page, Remove 2FA); then set it up again."
        : "To unlock it, remove the member's two-factor authentication from the Team page (Remove 2FA); the member can then set it up again.";
  return {
    to,
    subject: `Two-factor authentication locked for ${notice.isSubject ? "your account" : notice.subjectEmail}`,
    text: `${notice.failedCodes} wrong two-factor codes in a row were entered for ${whoseAccount(notice)}, so its two-factor authentication is locked: no code is accepted, and the lock does not expire.\n\n${unlock}\n\n${origin(notice)}\nIf this was not you, someone knows the password: change it.\n`,
  };
}

export function failedSignInCodeMessage(to: string, notice: SecurityNotice): MailMessage {
  return {
    to,
    subject: `Sign-in with a wrong code for ${notice.isSubject ? "your account" : notice.subjectEmail}`,
    text: `Someone signed in to ${whoseAccount(notice)} with the right password, then entered a wrong two-factor code.\n\n${origin(notice)}\nIf this was not you, someone knows the password: change it.\n`,
  };
}

export function recoveryCodeUsedMessage(
  to: string,
  notice: SecurityNotice & { remaining: number },
): MailMessage {
  return {
    to,
    subject: `Recovery code used for ${notice.isSubject ? "your account" : notice.subjectEmail}`,
    text: `A recovery code was used to sign in to ${whoseAccount(notice)}. ${notice.remaining} unused recovery codes are left; two-factor authentication stays on.\n\n${origin(notice)}\nIf this was not you, someone has the password and a recovery code: change the password and make new recovery codes.\n`,
  };
}

/** §6.5: to a member whose sessions the root user or an administrator ended from the Team page. */
export function signedOutEverywhereMessage(to: string, input: { by: string; at: Date }): MailMessage {
  return {
    to,
    subject: "You were signed out of cloud2fa everywhere",
    text: `${input.by} signed you out of cloud2fa on every device and browser at ${input.at.toISOString()}.\n\nYour password and two-factor authentication are unchanged: sign in again to continue. If you did not expect this, ask the root user of your team why.\n`,
  };
}

// §6.4 Root email change: the link goes to the new address; the old one is told before and after.

const changeOrigin = (at: Date, meta: { clientAddress: string | null; userAgent: string | null }) =>
  `Time: ${at.toISOString()}\nClient address: ${meta.clientAddress ?? "unknown"}\nDevice: ${deviceLabel(meta.userAgent)}\n`;

export function confirmEmailChangeMessage(
  to: string,
  input: { link: string; maskedCurrentEmail: string; ttlInSeconds: number },
): MailMessage {
  return {
    to,
    subject: "Confirm your new cloud2fa sign-in address",
    text: `Someone asked to use this address to sign in to the cloud2fa account that now signs in with ${input.maskedCurrentEmail}.\n\nTo confirm, open this link (it works once, for ${Math.round(input.ttlInSeconds / 3600)} hours):\n${input.link}\n\nUntil you open it, the account keeps signing in with its current address. If you did not ask for this, ignore this message: nothing changes.\n`,
  };
}

/** S6: the address already signs in to another account; nothing changes and nothing here tells whose it is. */
export function emailChangeAddressTakenMessage(to: string): MailMessage {
  return {
    to,
    subject: "Someone tried to move a cloud2fa account to your address",
    text: "Someone asked to use this address to sign in to a cloud2fa account, but this address already signs in to one. Nothing changed.\nIf it was you, sign in with this address instead. Otherwise you can ignore this message.\n",
  };
}

export function emailChangeRequestedMessage(
  to: string,
  input: { maskedNewEmail: string; at: Date; clientAddress: string | null; userAgent: string | null },
): MailMessage {
  return {
    to,
    subject: "A change of your cloud2fa sign-in address was requested",
    text: `Someone signed in to your cloud2fa account asked to change its sign-in address to ${input.maskedNewEmail}.\nThe address changes only when the link we mailed to the new address is opened (within 24 hours). Until then you sign in with this address.\n\n${changeOrigin(input.at, input)}\nIf this was not you, someone knows your password and is signed in to your account: sign in now, change your password (that cancels the change) and sign out the sessions you do not know.\n`,
  };
}

export function emailChangedOldAddressMessage(
  to: string,
  input: { maskedNewEmail: string; at: Date; clientAddress: string | null; userAgent: string | null },
): MailMessage {
  return {
    to,
    subject: "Your cloud2fa sign-in address was changed",
    text: `The sign-in address of your cloud2fa account was changed from this address to ${input.maskedNewEmail}. From now on the account signs in with the new address, and its mail (two-factor codes by email included) goes there; this address no longer signs in.\n\n${changeOrigin(input.at, input)}\nIf this was not you, someone had your password and the new mailbox: contact your cloud2fa administrator to recover the account.\n`,
  };
}

export function emailChangedNewAddressMessage(to: string, input: { at: Date }): MailMessage {
  return {
    to,
    subject: "Your cloud2fa sign-in address is now this one",
    text: `From ${input.at.toISOString()} on, your cloud2fa account signs in with this address (${to}); your password and two-factor authentication did not change. Two-factor codes by email, if you use them, now come here.\n`,
  };
}

/** §6.2: told after the password of the account was changed (the other sessions were signed out). */
export function passwordChangedMessage(
  to: string,
  facts: { at: Date; clientAddress: string | null; userAgent: string | null },
): MailMessage {
  return {
    to,
    subject: "Your cloud2fa password was changed",
    text: `The password of your cloud2fa account was changed, and every other browser signed in to it was signed out.\n\nTime: ${facts.at.toISOString()}\nClient address: ${facts.clientAddress ?? "unknown"}\nDevice: ${deviceLabel(facts.userAgent)}\n\nIf this was not you, someone is signed in to your account: reset your password from the sign-in page now, or ask the root user of your team for help.\n`,
  };
}

/** §6.1: the reset link, mailed only to a real account; it says how long it works and that it works once. */
export function passwordResetMessage(to: string, input: { link: string; ttlInSeconds: number }): MailMessage {
  return {
    to,
    subject: "Reset your cloud2fa password",
    text: `Someone asked to reset the password of your cloud2fa account. To choose a new password, open this link (it works once, for ${minutes(input.ttlInSeconds)} minutes):\n${input.link}\n\nYour two-factor authentication stays as it is: after the reset, signing in still asks for your code.\nIf you did not ask for this, ignore this message: your password stays as it is.\n`,
  };
}

/** §6.1: after a reset, to the account's address: when and from where, and that every session ended. */
export function passwordResetNoticeMessage(to: string, notice: SecurityNotice): MailMessage {
  return {
    to,
    subject: "Your cloud2fa password was reset",
    text: `The password of ${whoseAccount(notice)} was reset with a link mailed to this address. Every session was signed out; two-factor authentication stays on as it was.\n\n${origin(notice)}\nIf this was not you, someone can read this mailbox: secure it, then reset the password again.\n`,
  };
}

/** §7.1: to the root user, when single sign-on is turned on or off or its identity provider changes. */
export function ssoChangedMessage(
  to: string,
  input: { enabled: boolean; issuer: string | null; previousIssuer: string | null; by: string; at: Date },
): MailMessage {
  const state = input.enabled
    ? `Single sign-on is on, through the identity provider ${input.issuer}.`
    : "Single sign-on is off: SSO members cannot sign in until it is on again.";
  const previous =
    input.previousIssuer && input.previousIssuer !== input.issuer
      ? `\nThe identity provider was ${input.previousIssuer}.`
      : "";
  return {
    to,
    subject: input.enabled
      ? "Single sign-on changed for your team"
      : "Single sign-on turned off for your team",
    text: `${state}${previous}\nChanged by ${input.by} at ${input.at.toISOString()}. The SSO members' sessions were ended.\n\nIf this was not you, sign in to the console, check Team settings and change your password.\n`,
  };
}
