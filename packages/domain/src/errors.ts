// The one error catalog: every refusal anywhere carries one of these codes (SPEC §4).
// HTTP statuses are mapped in apps/api/src/http/errors.ts; sentences live here so both apps say the same.

export const errorMessages = {
  VALIDATION_FAILED: "The request is not valid.",
  INVALID_CREDENTIALS: "The email address or password is not correct.",
  UNAUTHENTICATED: "Sign in to continue.",
  INVALID_CODE: "That code is not valid. Check your authenticator app or email and try again.",
  CHALLENGE_EXPIRED: "This sign-in has expired. Sign in again.",
  TOO_MANY_ATTEMPTS: "Too many attempts. Wait a moment and try again.",
  FORBIDDEN: "You are not allowed to do that.",
  ONLY_ROOT_CAN_REMOVE_TWO_FACTOR: "Only the root user can remove a member's two-factor authentication.",
  CANNOT_CHANGE_OWN_MEMBERSHIP:
    "You cannot disable or delete yourself, nor change your own roles or SSO flag. The root user or another administrator can.",
  ACCOUNT_NOT_ACTIVE: "This account is not active.",
  TWO_FACTOR_ALREADY_CONFIGURED:
    "Two-factor authentication is already configured. Only the root user can remove it.",
  // R6, §7: until SSO sign-in exists, no identity provider gives an SSO member a second factor.
  SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR:
    "Two-factor authentication is not available for SSO accounts. Ask your root user or an administrator if you need it.",
  METHOD_NOT_ALLOWED: "This two-factor method is not available for this account.",
  NO_PENDING_SETUP: "There is no two-factor setup in progress. Start the setup again.",
  TWO_FACTOR_LOCKED:
    "Two-factor authentication is locked after too many failed codes. A team member asks the root user to remove it; a root user signs in with a recovery code.",
  STEP_UP_REQUIRED: "Confirm it is you: enter a current two-factor code to continue.",
  TWO_FACTOR_ENROLMENT_REQUIRED: "Your team requires two-factor authentication. Set it up to continue.",
  NOT_FOUND: "Not found.",
  EMAIL_TAKEN: "A member with this email address already exists in the team.",
  EMAIL_NOT_VERIFIED: "Verify your email address first: follow the link we emailed you.",
  INVALID_TOKEN: "This link is not valid or has expired.",
  WEAK_PASSWORD: "Choose another password.",
  PASSWORD_CHANGE_REQUIRED: "Choose a new password of your own to continue.",
  PAYLOAD_TOO_LARGE: "The request body is too large.",
  DATABASE_UNAVAILABLE: "The service is temporarily unavailable. Try again shortly.",
  ENCRYPTION_KEY_MISSING:
    "Your two-factor code cannot be checked right now because of a problem on our side. Try again later.",
  SERVER_BUSY: "Too many passwords are being checked right now.",
  INTERNAL_ERROR: "Something went wrong on our side.",
  // §7: single sign-on through the team's OpenID Connect identity provider.
  SSO_DISCOVERY_FAILED:
    "The identity provider could not be reached at this issuer URL, or it does not publish an OpenID Connect configuration.",
  SSO_SIGN_IN_REQUIRED: "Your team signs you in through its identity provider. Use Sign in with SSO.",
  SSO_NOT_ENABLED: "Single sign-on is not turned on for this team. Sign in with your email and password.",
  SSO_STATE_INVALID:
    "This sign-in link has expired or was already used, or it was started in another browser. Start again.",
  SSO_TOKEN_INVALID:
    "The identity provider's answer could not be accepted. Start again, or ask your administrator.",
  SSO_EMAIL_NOT_VERIFIED: "The identity provider has not verified your email address.",
  SSO_DOMAIN_NOT_ALLOWED: "Your email address's domain is not allowed to sign in to this team.",
  SSO_NO_MEMBER:
    "There is no SSO member for you in this team. Ask your root user or an administrator to add you as an SSO member.",
  SSO_MEMBER_DISABLED: "Your member account is disabled or not yet activated.",
  SSO_PROVIDER_UNAVAILABLE: "The identity provider did not answer in time. Try again shortly.",
} as const;

export type ErrorCode = keyof typeof errorMessages;

export const errorCodes = Object.keys(errorMessages) as ErrorCode[];

export function describeError(code: ErrorCode): string {
  return errorMessages[code];
}

export type Allowed<T = object> = { ok: true } & T;
export type Refused = { ok: false; reason: ErrorCode };
export type Decision<T = object> = Allowed<T> | Refused;

export const allow: Allowed = Object.freeze({ ok: true });

export function refuse(reason: ErrorCode): Refused {
  return { ok: false, reason };
}
