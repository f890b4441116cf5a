import { describeError, type ErrorCode } from "@cloud2fa/domain";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The one place that maps error codes to HTTP statuses (SPEC §4). */
export const statusByCode: Record<ErrorCode, ContentfulStatusCode> = {
  VALIDATION_FAILED: 400,
  INVALID_CREDENTIALS: 401,
  UNAUTHENTICATED: 401,
  INVALID_CODE: 400,
  CHALLENGE_EXPIRED: 410,
  TOO_MANY_ATTEMPTS: 429,
  FORBIDDEN: 403,
  ONLY_ROOT_CAN_REMOVE_TWO_FACTOR: 403,
  CANNOT_CHANGE_OWN_MEMBERSHIP: 403,
  ACCOUNT_NOT_ACTIVE: 409,
  TWO_FACTOR_ALREADY_CONFIGURED: 409,
  SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR: 409,
  METHOD_NOT_ALLOWED: 409,
  NO_PENDING_SETUP: 409,
  TWO_FACTOR_LOCKED: 403,
  STEP_UP_REQUIRED: 403,
  TWO_FACTOR_ENROLMENT_REQUIRED: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  EMAIL_NOT_VERIFIED: 403,
  INVALID_TOKEN: 400,
  WEAK_PASSWORD: 400,
  PASSWORD_CHANGE_REQUIRED: 403,
  PAYLOAD_TOO_LARGE: 413,
  DATABASE_UNAVAILABLE: 503,
  ENCRYPTION_KEY_MISSING: 503,
  SERVER_BUSY: 503,
  INTERNAL_ERROR: 500,
  SSO_DISCOVERY_FAILED: 422,
  SSO_SIGN_IN_REQUIRED: 403,
  SSO_NOT_ENABLED: 409,
  SSO_STATE_INVALID: 400,
  SSO_TOKEN_INVALID: 400,
  SSO_EMAIL_NOT_VERIFIED: 403,
  SSO_DOMAIN_NOT_ALLOWED: 403,
  SSO_NO_MEMBER: 403,
  SSO_MEMBER_DISABLED: 403,
  SSO_PROVIDER_UNAVAILABLE: 502,
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;
  /** SPEC §4: a wrong password typed on a page that is not a sign-in (verify-email) is 400, not 401. */
  readonly isPasswordOnPage: boolean;
  /** §6.3: WEAK_PASSWORD names its reason (the sentence is the message) and the field it is about. */
  readonly detail: ErrorDetail | undefined;

  constructor(
    code: ErrorCode,
    options: {
      message?: string;
      retryAfterSeconds?: number;
      isPasswordOnPage?: boolean;
      detail?: ErrorDetail;
    } = {},
  ) {
    super(options.message ?? describeError(code));
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.isPasswordOnPage = options.isPasswordOnPage === true;
    this.detail = options.detail;
  }

  get status(): ContentfulStatusCode {
    return this.isPasswordOnPage ? 400 : statusByCode[this.code];
  }
}

export interface ErrorDetail {
  reason: string;
  field: string;
}

export function errorBody(code: ErrorCode, message: string = describeError(code), detail?: ErrorDetail) {
  return { error: { code, message, ...detail } };
}
