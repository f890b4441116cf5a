import { describe, expect, it } from "vitest";
import { allow, describeError, type ErrorCode, errorCodes, errorMessages, refuse } from "./errors.js";

// SPEC §4: the codes that must exist.
const specCodes: ErrorCode[] = [
  "VALIDATION_FAILED",
  "INVALID_CREDENTIALS",
  "UNAUTHENTICATED",
  "INVALID_CODE",
  "CHALLENGE_EXPIRED",
  "TOO_MANY_ATTEMPTS",
  "FORBIDDEN",
  "ONLY_ROOT_CAN_REMOVE_TWO_FACTOR",
  "ACCOUNT_NOT_ACTIVE",
  "TWO_FACTOR_ALREADY_CONFIGURED",
  "SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR",
  "METHOD_NOT_ALLOWED",
  "NO_PENDING_SETUP",
  "NOT_FOUND",
  "EMAIL_TAKEN",
  "PAYLOAD_TOO_LARGE",
  "DATABASE_UNAVAILABLE",
];

describe("the error catalog", () => {
  it.each(specCodes)("SPEC §4 code %s is in the catalog", (code) => {
    expect(errorCodes).toContain(code);
  });

  it.each(errorCodes)("%s is SCREAMING_SNAKE and describeError gives a non-empty sentence", (code) => {
    expect(code).toMatch(/^[A-Z]+(_[A-Z]+)*$/);
    const message = describeError(code);
    expect(message).toBe(errorMessages[code]);
    expect(message.trim().length).toBeGreaterThan(0);
    expect(message).toMatch(/^[A-Z].*\.$/);
  });

  it("errorCodes lists every catalog key once", () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
    expect([...errorCodes].sort()).toEqual(Object.keys(errorMessages).sort());
  });
});

describe("decisions", () => {
  it("allow is a frozen { ok: true }", () => {
    expect(allow).toEqual({ ok: true });
    expect(Object.isFrozen(allow)).toBe(true);
  });

  it.each(errorCodes)("refuse(%s) → { ok: false, reason }", (code) => {
    expect(refuse(code)).toEqual({ ok: false, reason: code });
  });

  it("refuse returns a new object each time", () => {
    expect(refuse("FORBIDDEN")).not.toBe(refuse("FORBIDDEN"));
  });
});

describe("R6 SSO wording until SSO sign-in exists", () => {
  it("R6 an SSO member is told 2FA is not available for SSO accounts, not that an identity provider manages one", () => {
    const sentence = describeError("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR");
    expect(sentence).toContain("not available for SSO accounts");
    expect(sentence).not.toMatch(/identity provider/i);
  });
});
