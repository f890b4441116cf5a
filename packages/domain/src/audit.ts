/** S8: the kinds of audit event, one list for the API (filters, validation) and the apps (the action filter). */
export const auditEventTypes = [
  "two_factor.setup_started",
  "two_factor.setup_password_rejected",
  "two_factor.enabled",
  "two_factor.removed",
  "two_factor.code_accepted",
  "two_factor.code_rejected",
  "two_factor.locked",
  "two_factor.factor_locked",
  "two_factor.stepped_up",
  "two_factor.recovery_code_used",
  "two_factor.recovery_codes_regenerated",
  "team.settings_changed",
  "member.invited",
  "member.activated",
  "member.status_changed",
  "member.roles_changed",
  "member.sso_changed",
  "member.deleted",
  "root.signed_up",
  "session.signed_in",
  "session.signed_out",
  "session.revoked",
  "account.password_reset",
  "account.password_changed",
  "account.email_change_requested",
  "account.email_changed",
  "service_credential.created",
  "service_credential.revoked",
  "team.sso_changed",
  "sso.signed_in",
  "sso.stepped_up",
  "sso.member_linked",
  "sso.member_created",
  "sso.sign_in_refused",
] as const;
export type AuditEventType = (typeof auditEventTypes)[number];

/** The audit trail's filters: a member (as actor or subject), one or several actions, a time range [from, to). */
export interface AuditFilter {
  memberId?: string | undefined;
  types?: readonly AuditEventType[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** At most this many rows in one CSV export, newest first. */
export const AUDIT_EXPORT_MAX_ROWS = 10_000;
