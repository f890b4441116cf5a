export const memberRoles = [
  "administrator",
  "project_admin",
  "project_user",
  "accountant",
  "auditor",
] as const;
export type MemberRole = (typeof memberRoles)[number];

export const memberStatuses = ["pending", "active", "disabled"] as const;
export type MemberStatus = (typeof memberStatuses)[number];

export const twoFactorMethods = ["totp", "email"] as const;
export type TwoFactorMethod = (typeof twoFactorMethods)[number];

export type UserKind = "root" | "member";

export interface RootUser {
  kind: "root";
  id: string;
  accountId: string;
  email: string;
  isEmailVerified: boolean;
}

export interface Member {
  kind: "member";
  id: string;
  accountId: string;
  email: string;
  roles: readonly MemberRole[];
  status: MemberStatus;
  isSso: boolean;
}

export type User = RootUser | Member;

/** The 2FA state of one user: R3 makes "pending" and "enabled" exclusive. */
export type TwoFactorState =
  | { state: "none" }
  | { state: "pending"; method: TwoFactorMethod; expiresAt: Date }
  | {
      state: "enabled";
      method: TwoFactorMethod;
      enabledAt: Date;
      lastAcceptedStep: number | null;
    };

export interface SignInChallenge {
  id: string;
  userId: string;
  method: TwoFactorMethod;
  expiresAt: Date;
  attemptCount: number;
  consumedAt: Date | null;
}

/** A fixed-window counter: used for wrong codes, email sends and password failures (S3). */
export interface WindowedCounter {
  count: number;
  windowStartedAt: Date | null;
}

export interface CodeAttemptBudget extends WindowedCounter {
  lockedUntil: Date | null;
}

export interface EmailSendBudget extends WindowedCounter {
  lastSentAt: Date | null;
}

export const emailCodePurposes = ["sign_in", "setup", "action"] as const;
export type EmailCodePurpose = (typeof emailCodePurposes)[number];

export interface EmailCodeRecord {
  purpose: EmailCodePurpose;
  bindingId: string;
  codeHash: string;
  expiresAt: Date;
  consumedAt: Date | null;
}

export interface SessionRecord {
  createdAt: Date;
  lastSeenAt: Date;
  revokedAt: Date | null;
}
