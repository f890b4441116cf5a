import { describe, expect, it } from "vitest";
import { EMAIL_CODE_DIGITS, EMAIL_CODE_RANDOM_BYTES, EMAIL_CODE_TTL_IN_SECONDS } from "./constants.js";
import { checkEmailCode, constantTimeEqual, createEmailCode, hashEmailCode } from "./email-code.js";
import type { EmailCodePurpose, EmailCodeRecord } from "./entities.js";
import { addSeconds } from "./time.js";

const issuedAt = new Date("2026-01-01T00:00:00Z");
const expiresAt = addSeconds(issuedAt, EMAIL_CODE_TTL_IN_SECONDS);
const key = Uint8Array.from({ length: 32 }, (_, index) => index);
const otherKey = Uint8Array.from({ length: 32 }, (_, index) => 255 - index);

// The formula, computed independently: the 8 bytes big-endian, modulo 10^6, padded to six digits.
function expectedCode(bytes: readonly number[]): string {
  const value = bytes.reduce((total, byte) => total * 256n + BigInt(byte), 0n);
  return (value % 1_000_000n).toString().padStart(6, "0");
}

describe("S1 email code parameters", () => {
  it.each<[string, number, number]>([
    ["digits", EMAIL_CODE_DIGITS, 6],
    ["random bytes", EMAIL_CODE_RANDOM_BYTES, 8],
    ["lifetime in seconds (10 minutes)", EMAIL_CODE_TTL_IN_SECONDS, 600],
  ])("S1 %s = $2", (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("S1 createEmailCode: six digits from injected random bytes", () => {
  it.each<[string, number[], string]>([
    ["all zero bytes", [0, 0, 0, 0, 0, 0, 0, 0], "000000"],
    ["all 0xff bytes", Array(8).fill(0xff), ((2n ** 64n - 1n) % 1_000_000n).toString().padStart(6, "0")],
    ["value 1", [0, 0, 0, 0, 0, 0, 0, 1], "000001"],
    ["value 999999 (0x0f423f)", [0, 0, 0, 0, 0, 0x0f, 0x42, 0x3f], "999999"],
    ["value 1000000 (0x0f4240) wraps to zero", [0, 0, 0, 0, 0, 0x0f, 0x42, 0x40], "000000"],
    [
      "big-endian order matters",
      [1, 0, 0, 0, 0, 0, 0, 0],
      (2n ** 56n % 1_000_000n).toString().padStart(6, "0"),
    ],
    [
      "mixed bytes",
      [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0],
      expectedCode([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0]),
    ],
  ])("S1 %s → $2", (_label, bytes, expected) => {
    const code = createEmailCode(Uint8Array.from(bytes));
    expect(code).toBe(expected);
    expect(code).toBe(expectedCode(bytes));
    expect(code).toMatch(/^[0-9]{6}$/);
  });

  it("S1 the same bytes give the same code", () => {
    const bytes = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);
    expect(createEmailCode(bytes)).toBe(createEmailCode(Uint8Array.from(bytes)));
  });

  it.each([0, 4, 6, 7, 9, 16])("S1 %i random bytes → RangeError", (length) => {
    expect(() => createEmailCode(new Uint8Array(length))).toThrow(RangeError);
  });
});

const base = { purpose: "sign_in" as EmailCodePurpose, bindingId: "chl_email_one", code: "123456" };

describe("S1 hashEmailCode: a keyed hash bound to purpose and binding", () => {
  it("S1 the hash is deterministic, hex SHA-256 sized, and does not contain the code", () => {
    const hash = hashEmailCode(key, base);
    expect(hash).toBe(hashEmailCode(Uint8Array.from(key), { ...base }));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(base.code);
  });

  it.each<[string, Uint8Array, typeof base]>([
    ["purpose setup", key, { ...base, purpose: "setup" }],
    ["purpose action", key, { ...base, purpose: "action" }],
    ["another binding id", key, { ...base, bindingId: "chl_email_two" }],
    ["another key", otherKey, base],
    ["another code", key, { ...base, code: "123457" }],
    [
      "binding and code shifted across the separator",
      key,
      { ...base, bindingId: "chl_email_one\n1", code: "23456" },
    ],
  ])("S1 %s → a different hash", (_label, otherHashKey, input) => {
    expect(hashEmailCode(otherHashKey, input)).not.toBe(hashEmailCode(key, base));
  });
});

function recordFor(
  input: { purpose: EmailCodePurpose; bindingId: string; code: string },
  overrides: Partial<EmailCodeRecord> = {},
): EmailCodeRecord {
  return {
    purpose: input.purpose,
    bindingId: input.bindingId,
    codeHash: hashEmailCode(key, input),
    expiresAt,
    consumedAt: null,
    ...overrides,
  };
}

const invalid = { ok: false, reason: "INVALID_CODE" };

describe("S1 checkEmailCode: live, unused, same purpose and binding, same code", () => {
  it.each<[string, EmailCodeRecord, typeof base & { now: Date }, object]>([
    ["the right code at issue time", recordFor(base), { ...base, now: issuedAt }, { ok: true }],
    [
      "the right code 1 ms before expiry",
      recordFor(base),
      { ...base, now: new Date(expiresAt.getTime() - 1) },
      { ok: true },
    ],
    ["the right code at exactly expiresAt", recordFor(base), { ...base, now: expiresAt }, invalid],
    ["the right code after expiry", recordFor(base), { ...base, now: addSeconds(expiresAt, 1) }, invalid],
    ["a consumed code", recordFor(base, { consumedAt: issuedAt }), { ...base, now: issuedAt }, invalid],
    ["the wrong code", recordFor(base), { ...base, code: "654321", now: issuedAt }, invalid],
    ["a wrong purpose", recordFor(base), { ...base, purpose: "action", now: issuedAt }, invalid],
    [
      "a record of another purpose whose hash matches the input",
      recordFor({ ...base, purpose: "setup" }, { purpose: "sign_in" }),
      { ...base, purpose: "setup", now: issuedAt },
      invalid,
    ],
    ["a wrong binding", recordFor(base), { ...base, bindingId: "chl_email_two", now: issuedAt }, invalid],
    [
      "a record of another binding whose hash matches the input",
      recordFor({ ...base, bindingId: "chl_email_two" }, { bindingId: "chl_email_one" }),
      { ...base, bindingId: "chl_email_two", now: issuedAt },
      invalid,
    ],
  ])("S1 %s → $3", (_label, record, input, expected) => {
    expect(checkEmailCode(key, record, input)).toEqual(expected);
  });

  it("S1 a code hashed with another key is refused", () => {
    const record = recordFor(base, { codeHash: hashEmailCode(otherKey, base) });
    expect(checkEmailCode(key, record, { ...base, now: issuedAt })).toEqual(invalid);
  });
});

describe("constantTimeEqual", () => {
  it.each<[string, string, boolean]>([
    ["", "", true],
    ["abc", "abc", true],
    ["0123456789abcdef", "0123456789abcdef", true],
    ["abc", "abd", false],
    ["abc", "ab", false],
    ["ab", "abc", false],
    ["", "a", false],
    ["a", "", false],
    ["a\u0000", "a", false],
    ["é", "e", false],
    ["é", "é", true],
    ["ABC", "abc", false],
  ])("%j vs %j → %s", (left, right, expected) => {
    expect(constantTimeEqual(left, right)).toBe(expected);
  });
});
