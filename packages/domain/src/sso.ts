import type { MemberRole, MemberStatus } from "./entities.js";
import { allow, type Decision, refuse } from "./errors.js";

/** §7.2: a sign-in's state and nonce live this long, and the provider is waited for at most this long. */
export const SSO_STATE_TTL_IN_SECONDS = 10 * 60;
export const SSO_PROVIDER_TIMEOUT_IN_SECONDS = 10;
/** §7.2: exp, iat and nbf of an ID token are checked with this leeway. */
export const SSO_CLOCK_TOLERANCE_IN_SECONDS = 60;
/** §7.1: at most this many allowed email domains. */
export const MAX_SSO_ALLOWED_DOMAINS = 50;

/** §7.2: the refusals a sign-in page shows (`?error=`), one catalog with the API's error codes. */
export const ssoSignInRefusals = [
  "SSO_NOT_ENABLED",
  "SSO_STATE_INVALID",
  "SSO_TOKEN_INVALID",
  "SSO_EMAIL_NOT_VERIFIED",
  "SSO_DOMAIN_NOT_ALLOWED",
  "SSO_NO_MEMBER",
  "SSO_MEMBER_DISABLED",
  "SSO_PROVIDER_UNAVAILABLE",
] as const;
export type SsoSignInRefusal = (typeof ssoSignInRefusals)[number];

export function isSsoSignInRefusal(value: unknown): value is SsoSignInRefusal {
  return typeof value === "string" && (ssoSignInRefusals as readonly string[]).includes(value);
}

/** The team's SSO settings as the decisions read them. */
export interface SsoPolicy {
  enabled: boolean;
  allowedDomains: readonly string[];
  jitEnabled: boolean;
  jitRoles: readonly MemberRole[];
}

/** A domain as typed in the settings: lower case, no leading "@" or trailing dot. */
export function normalizeSsoDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^@/, "").replace(/\.$/, "");
}

/** §7.2: the address's domain is one of the team's allowed domains (exactly; subdomains are listed apart). */
export function isEmailDomainAllowed(email: string, allowedDomains: readonly string[]): boolean {
  const at = email.lastIndexOf("@");
  if (at < 1 || at === email.length - 1) return false;
  const domain = normalizeSsoDomain(email.slice(at + 1));
  return allowedDomains.some((allowed) => normalizeSsoDomain(allowed) === domain);
}

/** What the provider vouched for, from a validated ID token. */
export interface SsoIdentity {
  subject: string;
  email: string | null;
  /** Only a literal `true` counts: false, missing or a string is not verified. */
  emailVerified: unknown;
}

/** A member of the signing-in team as found by the link (issuer, sub) or by the verified address. */
export interface SsoCandidate {
  kind: "root" | "member";
  status: MemberStatus;
  isSso: boolean;
  /** The subject it is linked to at the team's current issuer, or null. */
  linkedSubject: string | null;
}

export type SsoSignInDecision =
  | { ok: true; action: "sign_in" | "link" }
  | { ok: true; action: "create"; roles: readonly MemberRole[] }
  | { ok: false; reason: SsoSignInRefusal };

function refuseSso(reason: SsoSignInRefusal): { ok: false; reason: SsoSignInRefusal } {
  return { ok: false, reason };
}

function memberDecision(candidate: SsoCandidate): Decision {
  // Never a root user nor a member not flagged SSO: a password account is not taken over by its address.
  if (candidate.kind !== "member" || !candidate.isSso) return refuse("SSO_NO_MEMBER");
  if (candidate.status !== "active") return refuse("SSO_MEMBER_DISABLED");
  return allow;
}

/**
 * §7.2, in order: the member linked to (issuer, sub); else the team's SSO member with the verified
 * address, now linked; else with JIT on a new active SSO member with the JIT roles; else refused.
 * `byEmail` is only consulted when nobody is linked to the subject.
 */
export function ssoSignInDecision(input: {
  policy: SsoPolicy;
  identity: SsoIdentity;
  linked: SsoCandidate | null;
  byEmail: SsoCandidate | null;
}): SsoSignInDecision {
  const { policy, identity, linked, byEmail } = input;
  if (!policy.enabled) return refuseSso("SSO_NO_MEMBER");
  if (identity.emailVerified !== true || !identity.email) return refuseSso("SSO_EMAIL_NOT_VERIFIED");
  if (!isEmailDomainAllowed(identity.email, policy.allowedDomains))
    return refuseSso("SSO_DOMAIN_NOT_ALLOWED");
  if (linked) {
    const decided = memberDecision(linked);
    return decided.ok ? { ok: true, action: "sign_in" } : refuseSso(decided.reason as SsoSignInRefusal);
  }
  if (byEmail) {
    const decided = memberDecision(byEmail);
    if (!decided.ok) return refuseSso(decided.reason as SsoSignInRefusal);
    // Linked to another subject of this provider: a reassigned address does not inherit the account.
    if (byEmail.linkedSubject !== null && byEmail.linkedSubject !== identity.subject) {
      return refuseSso("SSO_NO_MEMBER");
    }
    return { ok: true, action: "link" };
  }
  if (!policy.jitEnabled) return refuseSso("SSO_NO_MEMBER");
  return { ok: true, action: "create", roles: policy.jitRoles };
}

/** §7.3: while the team's SSO is on, an SSO member has no password path (sign-in, reset, change). */
export function mustSignInWithSso(
  user: { kind: "root" | "member"; isSso?: boolean },
  teamSsoEnabled: boolean,
): boolean {
  return user.kind === "member" && user.isSso === true && teamSsoEnabled;
}

/** §7.1: a change that ends SSO members' sessions: SSO turned on or off, or another provider. */
export function ssoChangeEndsSessions(
  before: { enabled: boolean; issuer: string } | null,
  after: { enabled: boolean; issuer: string } | null,
): boolean {
  const wasOn = before?.enabled === true;
  const isOn = after?.enabled === true;
  if (wasOn !== isOn) return true;
  return wasOn && isOn && before?.issuer !== after?.issuer;
}

/** §7.1: the root user is told when SSO is turned on or off or its provider changes. */
export function ssoChangeIsNotified(
  before: { enabled: boolean; issuer: string } | null,
  after: { enabled: boolean; issuer: string } | null,
): boolean {
  return ssoChangeEndsSessions(before, after) || (before?.issuer !== after?.issuer && after !== null);
}
