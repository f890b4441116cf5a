import { describe, expect, it } from "vitest";
import {
  canHaveRecoveryCodes,
  createRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_COUNT,
  RECOVERY_CODE_RANDOM_BYTES,
} from "./recovery-codes.js";

const bytes = (fill: (index: number) => number) =>
  Uint8Array.from({ length: RECOVERY_CODE_RANDOM_BYTES }, (_, index) => fill(index) & 0xff);

describe("createRecoveryCodes", () => {
  it.each([
    ["all zero bytes", bytes(() => 0), "aaaa-aaaa"],
    ["value 30 is the last character", bytes((index) => (index % 2 === 1 ? 30 : 0)), "9999-9999"],
    ["value 31 wraps to the first", bytes((index) => (index % 2 === 1 ? 31 : 0)), "aaaa-aaaa"],
    ["value 257 (1 * 256 + 1) mod 31 = 9", bytes(() => 1), "kkkk-kkkk"],
  ])("%s → %s", (_, input, first) => {
    const codes = createRecoveryCodes(input);
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(codes[0]).toBe(first);
  });

  it("makes ten distinct codes of the unambiguous alphabet from varied bytes", () => {
    const codes = createRecoveryCodes(bytes((index) => index * 37 + 11));
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes)
      expect(code).toMatch(new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{4}-[${RECOVERY_CODE_ALPHABET}]{4}$`));
  });

  it.each([[0], [RECOVERY_CODE_RANDOM_BYTES - 1], [RECOVERY_CODE_RANDOM_BYTES + 1]])(
    "refuses %i random bytes",
    (length) => {
      expect(() => createRecoveryCodes(new Uint8Array(length))).toThrow(RangeError);
    },
  );
});

describe("normalizeRecoveryCode", () => {
  it.each([
    ["abcd-efgh", "abcd-efgh"],
    ["ABCD-EFGH", "abcd-efgh"],
    ["abcdefgh", "abcd-efgh"],
    [" abcd efgh ", "abcd-efgh"],
    ["ab-cd-ef-gh", "abcd-efgh"],
    ["2345\t6789", "2345-6789"],
    ["abcd-efg", null],
    ["abcd-efghj", null],
    ["abcd-efg0", null],
    ["abcd-efgl", null],
    ["abcd-efgi", null],
    ["abcd-efgo", null],
    ["abcd_efgh", null],
    ["", null],
    ["123456", null],
  ])("%j → %j", (input, expected) => {
    expect(normalizeRecoveryCode(input)).toBe(expected);
  });
});

describe("hashRecoveryCode", () => {
  const key = new Uint8Array(32).fill(7);
  it.each([
    [{ userId: "usr_a", code: "abcd-efgh" }, { userId: "usr_a", code: "abcd-efgh" }, true],
    [{ userId: "usr_a", code: "abcd-efgh" }, { userId: "usr_b", code: "abcd-efgh" }, false],
    [{ userId: "usr_a", code: "abcd-efgh" }, { userId: "usr_a", code: "abcd-efgj" }, false],
  ])("%j vs %j equal: %s", (left, right, isEqual) => {
    expect(hashRecoveryCode(key, left) === hashRecoveryCode(key, right)).toBe(isEqual);
  });
});

describe("canHaveRecoveryCodes", () => {
  it.each([
    ["root", false, true],
    ["root", true, true],
    ["member", false, false],
    ["member", true, true],
  ] as const)("%s with the team allowing members: %s → %s", (kind, allowMemberRecoveryCodes, expected) => {
    expect(canHaveRecoveryCodes({ kind }, { allowMemberRecoveryCodes })).toBe(expected);
  });
});
