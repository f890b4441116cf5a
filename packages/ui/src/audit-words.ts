import type { AuditEventType, MemberRole } from "@cloud2fa/domain";
import { formatDate, methodNames, roleNames } from "./user.js";

export interface AuditEventView {
  id: string;
  type: string;
  actor: { email: string } | null;
  subject: { email: string } | null;
  at: string;
  /** As people write it ("127.0.0.1"); the API reads it so. */
  clientAddress: string | null;
  /** The raw header, for the detail view. */
  userAgent?: string | null;
  browser?: string | null;
  os?: string | null;
  detail?: Record<string, unknown>;
}

export const auditEventNames: Record<AuditEventType, string> = {
  "two_factor.setup_started": "2FA setup started",
  "two_factor.setup_password_rejected": "Wrong password at 2FA setup",
  "two_factor.enabled": "2FA enabled",
  "two_factor.removed": "2FA removed",
  "two_factor.code_accepted": "Code accepted",
  "two_factor.code_rejected": "Code rejected",
  "two_factor.locked": "Code entry locked",
  "two_factor.factor_locked": "2FA locked (too many failed codes)",
  "two_factor.stepped_up": "Identity confirmed with a code",
  "two_factor.recovery_code_used": "Recovery code used",
  "two_factor.recovery_codes_regenerated": "Recovery codes regenerated",
  "team.settings_changed": "Team settings changed",
  "member.invited": "Member invited",
  "member.activated": "Member activated",
  "member.status_changed": "Member status changed",
  "member.roles_changed": "Member roles changed",
  "member.sso_changed": "Member SSO changed",
  "member.deleted": "Member deleted",
  "root.signed_up": "Root user signed up",
  "session.signed_in": "Signed in without 2FA",
  "session.signed_out": "Signed out",
  "session.revoked": "Session ended",
  "account.password_reset": "Password reset",
  "account.password_changed": "Password changed",
  "account.email_change_requested": "Email change requested",
  "account.email_changed": "Email address changed",
  "service_credential.created": "Service credential created",
  "service_credential.revoked": "Service credential revoked",
  "team.sso_changed": "Single sign-on settings changed",
  "sso.signed_in": "Signed in through the identity provider",
  "sso.stepped_up": "Identity confirmed at the identity provider",
  "sso.member_linked": "Member linked to the identity provider",
  "sso.member_created": "Member created by single sign-on",
  "sso.sign_in_refused": "Single sign-on refused",
};

/** The event's name; a type this page does not know yet is shown as the API names it. */
export function auditEventName(type: string): string {
  return (auditEventNames as Record<string, string>)[type] ?? type;
}

const purposes: Record<string, string> = {
  sign_in: "at sign-in",
  setup: "to confirm the setup",
  removal: "to remove 2FA",
  action: "to confirm an action",
  step_up: "to confirm an action",
  recovery_codes: "for new recovery codes",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function methodName(value: unknown): string | null {
  if (value === "totp" || value === "email") return methodNames[value].toLowerCase();
  if (value === "recovery_code") return "recovery code";
  return null;
}

function roleList(value: unknown): string {
  return Array.isArray(value)
    ? value.map((role) => roleNames[role as MemberRole] ?? String(role)).join(", ") || "no role"
    : "";
}

/**
 * S8 in words: what happened, with its detail ("2FA removed by ana@example.com, reason: Lost phone"),
 * so nobody reads JSON to know what an event means.
 */
export function describeAuditEvent(event: AuditEventView): string {
  const detail = event.detail ?? {};
  const name = auditEventName(event.type);
  const method = methodName(detail.method);
  const withMethod = method ? `${name} (${method})` : name;
  const purpose = text(detail.purpose) ? purposes[detail.purpose as string] : undefined;
  const actor = event.actor?.email;
  const byOther = actor && event.subject && actor !== event.subject.email ? ` by ${actor}` : "";
  switch (event.type) {
    case "two_factor.removed": {
      const reason = text(detail.reason);
      return `${name}${byOther}${reason ? `, reason: ${reason}` : ""}${method ? ` (${method})` : ""}`;
    }
    case "two_factor.code_accepted":
    case "two_factor.code_rejected":
      return [name, purpose, method ? `(${method})` : null].filter(Boolean).join(" ");
    case "two_factor.locked":
      return text(detail.lockedUntil) ? `${name} until ${formatDate(detail.lockedUntil as string)}` : name;
    case "two_factor.factor_locked":
      return typeof detail.failedCodes === "number"
        ? `2FA locked after ${detail.failedCodes} wrong codes in a row`
        : name;
    case "two_factor.recovery_code_used":
      return detail.unlocked === true ? `${name} at sign-in; it unlocked 2FA` : `${name} at sign-in`;
    case "member.invited":
      return `${name}${byOther} as ${roleList(detail.roles)}`;
    case "member.status_changed":
      return text(detail.to) ? `Member made ${detail.to}${byOther}` : name;
    case "member.roles_changed":
      return `Roles changed from ${roleList(detail.from)} to ${roleList(detail.to)}${byOther}`;
    case "member.sso_changed":
      return detail.sso === true
        ? `Marked as an SSO account${byOther}`
        : `No longer an SSO account${byOther}`;
    case "member.deleted": {
      const had = methodName(detail.twoFactorMethod);
      return `${name}${byOther}${had ? ` (had 2FA: ${had})` : ""}`;
    }
    case "team.settings_changed":
      return `${name}: ${describeSettings(detail)}`;
    case "account.email_change_requested":
      return text(detail.to) ? `Email change to ${detail.to} requested` : name;
    case "account.email_changed":
      return text(detail.from) && text(detail.to)
        ? `Email address changed from ${detail.from} to ${detail.to}`
        : name;
    default:
      return withMethod;
  }
}

function describeSettings(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof detail.allowMemberRecoveryCodes === "boolean") {
    parts.push(`members' recovery codes ${detail.allowMemberRecoveryCodes ? "on" : "off"}`);
  }
  if (typeof detail.requireMemberTwoFactor === "boolean") {
    parts.push(`2FA ${detail.requireMemberTwoFactor ? "required" : "not required"} for members`);
  }
  if ("memberTwoFactorDeadline" in detail) {
    const deadline = text(detail.memberTwoFactorDeadline);
    parts.push(deadline ? `deadline ${formatDate(deadline)}` : "no deadline");
  }
  return parts.join(", ") || "see the detail";
}

/** "Chrome on macOS", "Chrome", or null when the API recognised neither. */
export function deviceOf(event: Pick<AuditEventView, "browser" | "os">): string | null {
  if (event.browser && event.os) return `${event.browser} on ${event.os}`;
  return event.browser ?? event.os ?? null;
}
