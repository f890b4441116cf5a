import type { MemberRole, MemberStatus, TwoFactorMethod, TwoFactorState, User } from "@cloud2fa/domain";
import type { TwoFactorPolicyView } from "./enrolment-banner.js";

/** What the UI reads of GET /api/me; the typed client's response satisfies it structurally. */
export interface MeView {
  kind: "root" | "member";
  id: string;
  email: string;
  accountId: string;
  roles: MemberRole[];
  status: MemberStatus;
  sso: boolean;
  twoFactor: TwoFactorSummaryView;
  /** Require 2FA for members: what the team policy asks of this user now. */
  twoFactorPolicy?: TwoFactorPolicyView;
  /** §6.2: still on the password an administrator chose; only the change is open until done. */
  passwordChangeRequired?: boolean;
}

export interface TwoFactorSummaryView {
  enabled: boolean;
  method: TwoFactorMethod | null;
  enabledAt: string | null;
  /** Hard cap: locked after 100 consecutive failed codes. */
  locked?: boolean;
}

/** The domain's view of the signed-in user, so that every decision to show comes from packages/domain. */
export function toDomainUser(me: MeView): User {
  if (me.kind === "root") {
    return { kind: "root", id: me.id, accountId: me.accountId, email: me.email, isEmailVerified: true };
  }
  return {
    kind: "member",
    id: me.id,
    accountId: me.accountId,
    email: me.email,
    roles: me.roles,
    status: me.status,
    isSso: me.sso,
  };
}

export function toTwoFactorState(summary: TwoFactorSummaryView): TwoFactorState {
  if (summary.enabled && summary.method && summary.enabledAt) {
    return {
      state: "enabled",
      method: summary.method,
      enabledAt: new Date(summary.enabledAt),
      lastAcceptedStep: null,
    };
  }
  return { state: "none" };
}

export const methodNames: Record<TwoFactorMethod, string> = {
  totp: "Authenticator App",
  email: "Email Message",
};

export const roleNames: Record<MemberRole, string> = {
  administrator: "Administrator",
  project_admin: "Project Admin",
  project_user: "Project User",
  accountant: "Accountant",
  auditor: "Auditor",
};

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
