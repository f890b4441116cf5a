import { STEP_UP_TTL_IN_SECONDS } from "./constants.js";
import type { MemberRole, User, UserKind } from "./entities.js";
import { allow, type Decision, refuse } from "./errors.js";
import { type SessionHold, sessionHoldOf } from "./session.js";
import type { StepUpState } from "./step-up.js";
import { addSeconds } from "./time.js";

// §8: other services ask the API about a session with a service credential (POST /api/introspect).

/** §8.1: a service secret is recognisable in logs and secret scanners by this prefix. */
export const SERVICE_SECRET_PREFIX = "c2fsvc_";
/** §8.1: random bytes of a service secret (256 bits; SPEC asks ≥ 128). */
export const SERVICE_SECRET_BYTES = 32;
export const MAX_SERVICE_CREDENTIAL_NAME_LENGTH = 64;
/** §8.2: introspections per credential and window, unless the deployment configures another limit. */
export const MAX_INTROSPECTIONS_PER_WINDOW = 6000;
export const INTROSPECTION_WINDOW_IN_SECONDS = 60;
/** §8.2: the longest token the introspection endpoint takes (a session token is 43 characters). */
export const MAX_INTROSPECTED_TOKEN_LENGTH = 512;

/** §8.1: only the root user creates, lists and revokes the team's service credentials. */
export function canManageServiceCredentials(user: Pick<User, "kind">): Decision {
  return user.kind === "root" ? allow : refuse("FORBIDDEN");
}

/**
 * §8.2: a credential sees only sessions of its own account; a credential configured for an internal
 * deployment without an account (`accountId: null`) sees every account's.
 */
export function isSessionVisibleTo(
  credential: { accountId: string | null },
  sessionAccountId: string,
): boolean {
  return credential.accountId === null || credential.accountId === sessionAccountId;
}

/** §8.2: what the API answers about a live session (RFC 7662 style); never a token, hash or secret. */
export interface ActiveIntrospection {
  active: true;
  userId: string;
  accountId: string;
  kind: UserKind;
  roles: MemberRole[];
  sso: boolean;
  /** Whether the user has a second factor enabled (step-up applies only then). */
  twoFactorEnabled: boolean;
  /** Whether the sign-in that opened this session passed a second factor (a code or a recovery code). */
  secondFactorPassed: boolean;
  /** ISO 8601: until when a code entered in this session opens sensitive actions; null if none was. */
  steppedUpUntil: string | null;
  /** The team policy requires 2FA of this member now and it has none: the API holds the session to enrolment. */
  enrolmentRequired: boolean;
  /** §6.2: the member still has its inviter's password: the API holds the session to the password change. */
  passwordChangeRequired: boolean;
  /** ISO 8601: when the session ends unless used again (idle) or at the latest (absolute lifetime). */
  expiresAt: string;
}

export type IntrospectionAnswer = { active: false } | ActiveIntrospection;

/** The step-up state an introspection answer gives, for stepUpDecision in another service. */
export function stepUpStateOfIntrospection(
  answer: Pick<ActiveIntrospection, "twoFactorEnabled" | "steppedUpUntil">,
): StepUpState {
  return {
    actorHasTwoFactor: answer.twoFactorEnabled,
    steppedUpAt:
      answer.steppedUpUntil === null
        ? null
        : addSeconds(new Date(answer.steppedUpUntil), -STEP_UP_TTL_IN_SECONDS),
  };
}

/** §8: what a session may reach, as the API's guards decide it (sessionHoldOf), from an introspection answer. */
export function holdOfIntrospection(
  answer: Pick<ActiveIntrospection, "passwordChangeRequired" | "enrolmentRequired">,
): SessionHold | null {
  return sessionHoldOf({
    mustChangePassword: answer.passwordChangeRequired,
    enrolment: { state: answer.enrolmentRequired ? "required_now" : "not_required" },
  });
}

/** §1: the root user may do everything; a member holds a role when it has one of `wanted`. */
export function holdsAnyRole(
  user: { kind: UserKind; roles: readonly MemberRole[] },
  wanted: readonly MemberRole[],
): boolean {
  return user.kind === "root" || user.roles.some((role) => wanted.includes(role));
}
