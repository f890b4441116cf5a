// Every number of SPEC §3 and §4, named with its unit.

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_IN_SECONDS = 30;
export const TOTP_SECRET_BYTES = 20;
/** S1: steps T−1, T and T+1 of the server clock. */
export const TOTP_WINDOW_IN_STEPS = 1;
export const TOTP_ISSUER = "cloud2fa";

export const EMAIL_CODE_DIGITS = 6;
/** 8 bytes reduced modulo 10^6: the bias is below 10^-13. */
export const EMAIL_CODE_RANDOM_BYTES = 8;
export const EMAIL_CODE_TTL_IN_SECONDS = 10 * 60;

export const SETUP_TTL_IN_SECONDS = 10 * 60;
export const CHALLENGE_TTL_IN_SECONDS = 10 * 60;

export const MAX_WRONG_CODES_PER_CHALLENGE = 5;
export const MAX_WRONG_CODES_PER_USER = 10;
export const WRONG_CODE_WINDOW_IN_SECONDS = 15 * 60;
export const CODE_LOCK_IN_SECONDS = 15 * 60;

/** Hard cap: after this many consecutive failed codes the factor is locked until removed or recovered. */
export const MAX_CONSECUTIVE_FAILED_CODES = 100;
/** Step-up: sensitive team actions need a valid code entered within this long. */
export const STEP_UP_TTL_IN_SECONDS = 10 * 60;

export const EMAIL_RESEND_COOLDOWN_IN_SECONDS = 60;
export const MAX_EMAIL_SENDS_PER_WINDOW = 5;
export const EMAIL_SEND_WINDOW_IN_SECONDS = 15 * 60;

export const MAX_PASSWORD_FAILURES_PER_ACCOUNT = 10;
export const MAX_PASSWORD_FAILURES_PER_ADDRESS = 50;
export const PASSWORD_FAILURE_WINDOW_IN_SECONDS = 15 * 60;

/** Sign-ups mail whatever address they are given: bounded per email and per client address. */
export const MAX_SIGN_UPS_PER_EMAIL = 3;
export const MAX_SIGN_UPS_PER_ADDRESS = 50;
export const SIGN_UP_WINDOW_IN_SECONDS = 60 * 60;

export const EMAIL_VERIFICATION_TTL_IN_SECONDS = 24 * 60 * 60;
export const INVITATION_TTL_IN_SECONDS = 7 * 24 * 60 * 60;
/** §6.1: a reset link lives 30 minutes; §6.4: an email change's link 24 hours. */
export const PASSWORD_RESET_TTL_IN_SECONDS = 30 * 60;
export const EMAIL_CHANGE_TTL_IN_SECONDS = 24 * 60 * 60;
/** §6.1: reset requests mail whatever address they name: bounded per address named and per client address. */
export const MAX_PASSWORD_RESETS_PER_EMAIL = 3;
export const MAX_PASSWORD_RESETS_PER_ADDRESS = 30;
export const PASSWORD_RESET_WINDOW_IN_SECONDS = 60 * 60;
export const RESET_TOKEN_BYTES = 32;

export const SESSION_TOKEN_BYTES = 32;
export const DEFAULT_SESSION_TTL_IN_HOURS = 12;
export const DEFAULT_SESSION_IDLE_IN_MINUTES = 30;

export const MAX_BODY_BYTES = 64 * 1024;
export const MIN_PASSWORD_LENGTH = 12;
/** §6.3: bounds after Unicode NFKC normalisation (NIST 800-63B §3.1.1.2). */
export const MAX_PASSWORD_LENGTH = 128;
/** A password typed to sign in may be longer than a new one may be (it is refused, not cut). */
export const MAX_TYPED_PASSWORD_LENGTH = 256;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_REMARK_LENGTH = 500;
