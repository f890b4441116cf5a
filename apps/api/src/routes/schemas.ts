import {
  auditEventTypes,
  MAX_EMAIL_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_REMARK_LENGTH,
  MAX_REMOVAL_REASON_LENGTH,
  MAX_TYPED_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  memberEnrolmentStates,
  memberRoles,
  normalizeRecoveryCode,
  type WeakPasswordReason,
  weakPasswordReasons,
} from "@cloud2fa/domain";
import { z } from "@hono/zod-openapi";

// S7: every schema is strict: unknown fields are refused, not ignored.

const weakPasswordReasonKeys = Object.keys(weakPasswordReasons) as [
  WeakPasswordReason,
  ...WeakPasswordReason[],
];

/** S7: PostgreSQL refuses NUL in text and jsonb, and jsonb a lone UTF-16 surrogate: a 400 here, not a 500 there. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const storableText = z.refine<string>(
  (value: string) => !value.includes("\u0000") && !LONE_SURROGATE.test(value),
  "expected text without NUL characters (U+0000) or lone UTF-16 surrogates",
);
/** Every free-text field is one of these (S7); the OpenAPI document says what it refuses. */
export const FreeText = z
  .string()
  .check(storableText)
  .openapi({ description: "Text without NUL characters (U+0000) or lone UTF-16 surrogates (S7)." });

export const Email = z
  .email()
  .check(storableText)
  .max(MAX_EMAIL_LENGTH)
  .openapi({ example: "ada@example.com" });
/**
 * Lone surrogates would also be hashed as U+FFFD, so two different passwords would match. A new
 * password's rules (§6.3: length after NFKC, common passwords, the email) are the domain's, answered
 * 400 WEAK_PASSWORD with a reason (services/accounts/password-rules.ts), not VALIDATION_FAILED.
 */
export const NewPassword = FreeText.min(1)
  .max(MAX_TYPED_PASSWORD_LENGTH)
  .openapi({
    description: `Text without NUL characters (U+0000) or lone UTF-16 surrogates (S7). At least ${MIN_PASSWORD_LENGTH} and at most ${MAX_PASSWORD_LENGTH} characters after Unicode NFKC normalisation, not among the most common passwords, not the email address (400 WEAK_PASSWORD with a reason otherwise)`,
  });
export const Password = FreeText.min(1).max(MAX_TYPED_PASSWORD_LENGTH);
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const EARLIEST_INSTANT = Date.UTC(1970, 0, 1);
const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * The instant (ms) an ISO 8601 date-time names, computed from its own fields; null for a date that does not
 * exist, digits finer than a millisecond (Date drops them), or a string Date.parse reads otherwise.
 */
function instantOf(value: string): number | null {
  const fields = ISO_INSTANT.exec(value);
  if (!fields) return null;
  const [year = 0, month = 0, day = 0, hours = 0, minutes = 0, seconds = 0] = fields.slice(1, 7).map(Number);
  const fraction = fields[7] ?? "";
  if (/[1-9]/.test(fraction.slice(3))) return null;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0–99 as 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hours, minutes, seconds, Number(fraction.slice(0, 3).padEnd(3, "0")));
  const isSameDay =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  const offsetInMinutes = Number(fields[9] ?? 0) * 60 + Number(fields[10] ?? 0);
  const instant = date.getTime() - (fields[8] === "-" ? -1 : 1) * offsetInMinutes * 60_000;
  return isSameDay && Date.parse(value) === instant ? instant : null;
}

/**
 * S7: an ISO 8601 instant with its zone, to the millisecond, in 1970–9999 UTC: timestamptz refuses year 0, Date
 * writes 10000 as "+010000", and drizzle reads "0004-02-29 00:00:00+00" back with Date's legacy parser (2029-04-02).
 */
export const Instant = z.iso
  .datetime({ offset: true })
  .refine((value) => instantOf(value) !== null, "expected a date-time that exists, to the millisecond")
  .refine((value) => {
    const instant = instantOf(value);
    return instant === null || (instant >= EARLIEST_INSTANT && instant <= LATEST_INSTANT);
  }, "expected an instant from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z")
  .openapi({ type: "string", format: "date-time", example: "2026-03-02T09:00:00Z" });

/** S1: exactly six ASCII digits; clients strip spaces before sending. */
export const Code = z
  .string()
  .regex(/^[0-9]{6}$/, "expected exactly six digits")
  .openapi({ example: "123456" });
/** A recovery code: case, dashes and spaces are free; anything else is VALIDATION_FAILED and costs nothing. */
export const RecoveryCode = z
  .string()
  .max(64)
  .refine((value) => normalizeRecoveryCode(value) !== null, "expected a recovery code like abcd-efgh")
  .transform((value) => normalizeRecoveryCode(value) ?? value)
  .openapi({ type: "string", example: "abcd-efgh" });
export const RecoveryCodes = z.array(z.string()).describe("Ten single-use recovery codes, shown only once");
export const Token = z
  .string()
  .min(16)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);
const prefixedId = (prefix: string) =>
  z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{22}$`), `expected a ${prefix}_ id`);
export const AccountId = prefixedId("acc").openapi({ example: "acc_3q2Z8kQe1yV0p7nX4m5w6A" });
export const ChallengeId = prefixedId("chl");
export const MemberId = prefixedId("mem");
export const Role = z.enum(memberRoles);
export const Method = z.enum(["totp", "email"]);

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      reason: z
        .enum(weakPasswordReasonKeys)
        .optional()
        .describe("WEAK_PASSWORD only (§6.3): why the password is refused; the message says it in words"),
      field: z.string().optional().describe("WEAK_PASSWORD only: the body field the reason is about"),
    }),
  })
  .openapi("Error");

export const TwoFactorSummary = z.object({
  enabled: z.boolean(),
  method: Method.nullable(),
  enabledAt: z.string().nullable(),
  locked: z
    .boolean()
    .optional()
    .describe(
      "Present when 2FA is enabled. Hard cap: true after 100 consecutive failed codes. No code is accepted (403 TWO_FACTOR_LOCKED) until the root user removes a member's 2FA, or the root user signs in with a recovery code.",
    ),
});

export const Member = z
  .object({
    id: z.string(),
    email: z.string(),
    roles: z.array(Role),
    status: z.enum(["pending", "active", "disabled"]),
    sso: z.boolean(),
    twoFactor: TwoFactorSummary,
    remark: z.string(),
    createdAt: z.string(),
  })
  .openapi("Member");

export const Me = z
  .object({
    kind: z.enum(["root", "member"]),
    id: z.string(),
    email: z.string(),
    accountId: z.string(),
    roles: z.array(Role),
    status: z.enum(["pending", "active", "disabled"]),
    sso: z.boolean(),
    twoFactor: TwoFactorSummary,
    twoFactorPolicy: z
      .object({
        required: z.boolean().describe("The team requires 2FA for members"),
        deadline: z.string().nullable().describe("From when (ISO 8601); null: at once"),
        enrolment: z
          .enum(memberEnrolmentStates)
          .describe(
            "What the policy asks of this user now: required_now = only GET /me, the 2FA setup and its confirmation, GET /team/settings and sign-out answer, everything else is 403 TWO_FACTOR_ENROLMENT_REQUIRED",
          ),
        daysLeft: z.number().int().nullable().describe("In grace: whole days until the deadline, counted up"),
      })
      .describe("Require 2FA for members (root users, SSO members and members with 2FA: not_required)"),
    passwordChangeRequired: z
      .boolean()
      .describe(
        "§6.2: a member still on the password its inviter chose. Until it sets its own (POST /me/password), only GET /me, that change and sign-out answer; everything else is 403 PASSWORD_CHANGE_REQUIRED",
      ),
  })
  .openapi("Me");

export const SignInResult = z
  .discriminatedUnion("status", [
    z.object({
      status: z.literal("authenticated"),
      userId: z.string(),
      enrolmentRequired: z
        .literal(true)
        .optional()
        .describe(
          "Present when the team requires 2FA and this member has none: the session opens only the 2FA setup",
        ),
    }),
    z.object({
      status: z.literal("two_factor_required"),
      challengeId: z.string(),
      method: Method,
      isLocked: z.literal(true).optional().openapi({
        description:
          "Hard cap: the factor is locked after 100 wrong codes in a row; no code was mailed. A root user signs in with a recovery code (a member gets 403 TWO_FACTOR_LOCKED instead).",
      }),
    }),
  ])
  .openapi("SignInResult");

export const AuditParty = z
  .object({ id: z.string(), kind: z.enum(["root", "member"]), email: z.string() })
  .nullable();
export const AuditEvent = z
  .object({
    id: z.string(),
    type: z.string().openapi({
      description:
        `One of ${auditEventTypes.join(", ")}. ` +
        "session.signed_in: a session opened on the password alone (no second factor enrolled), detail " +
        "{secondFactor: false}; a sign-in with a code is two_factor.code_accepted or recovery_code_used. " +
        "session.signed_out: a session ended by sign-out.",
    }),
    actor: AuditParty,
    subject: AuditParty,
    at: z.string(),
    clientAddress: z.string().nullable().describe('As people write it: "127.0.0.1", not "::ffff:127.0.0.1"'),
    userAgent: z.string().nullable().describe("The raw User-Agent header, for the detail view"),
    browser: z
      .string()
      .nullable()
      .describe('The browser parsed from userAgent ("Chrome"); null when unknown'),
    os: z
      .string()
      .nullable()
      .describe('The operating system parsed from userAgent ("macOS"); null when unknown'),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi("AuditEvent");

export const Remark = FreeText.max(MAX_REMARK_LENGTH);

/** Why the root user removed a member's 2FA: mailed and kept in the audit event; blank means none. */
export const RemovalReason = FreeText.trim()
  .max(MAX_REMOVAL_REASON_LENGTH)
  .openapi({ example: "Lost phone, confirmed by a call" });

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } } as const;
}

/** A body that may be left out entirely (no Content-Type, no bytes); one that is sent is validated. */
export function optionalJsonBody<T extends z.ZodType>(schema: T) {
  return { required: false, content: { "application/json": { schema } } } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

export const errorResponses = {
  400: jsonResponse(ErrorResponse, "VALIDATION_FAILED or INVALID_CODE"),
  401: jsonResponse(ErrorResponse, "UNAUTHENTICATED or INVALID_CREDENTIALS"),
  403: jsonResponse(
    ErrorResponse,
    "FORBIDDEN, or TWO_FACTOR_ENROLMENT_REQUIRED (the team requires 2FA), or PASSWORD_CHANGE_REQUIRED (a member still on its inviter's password: POST /api/me/password first)",
  ),
  409: jsonResponse(ErrorResponse, "A rule refuses the change"),
  429: jsonResponse(ErrorResponse, "TOO_MANY_ATTEMPTS, with Retry-After"),
} as const;

/** S4 rotation: the answer of a code check whose authenticator secret is sealed under a removed key. */
export const keyMissingResponses = {
  503: jsonResponse(
    ErrorResponse,
    "ENCRYPTION_KEY_MISSING: the authenticator secret is sealed under a key the server no longer has; no code was checked and nothing was charged (DATABASE_UNAVAILABLE: the database is away)",
  ),
} as const;

/** Routes that hash or check a password: the server's queue of password hashes is bounded (issue 13). */
export const passwordHashResponses = {
  503: jsonResponse(
    ErrorResponse,
    "SERVER_BUSY, with Retry-After: too many password checks are waiting in this server, or from this client address; nothing was checked",
  ),
} as const;
