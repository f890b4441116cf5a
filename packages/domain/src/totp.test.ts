import { NobleCryptoPlugin } from "otplib";
import { describe, expect, it } from "vitest";
import {
  TOTP_DIGITS,
  TOTP_ISSUER,
  TOTP_PERIOD_IN_SECONDS,
  TOTP_SECRET_BYTES,
  TOTP_WINDOW_IN_STEPS,
} from "./constants.js";
import {
  buildOtpauthUri,
  createTotpSecret,
  generateTotpCode,
  isSixDigitCode,
  totpStepAt,
  verifyTotpCode,
} from "./totp.js";

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

// RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1) share this secret.
const rfcSecret = asciiBytes("12345678901234567890");
// RFC 4648 Base32 of the ASCII secret above.
const rfcSecretBase32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

function atEpochSeconds(seconds: number): Date {
  return new Date(seconds * 1000);
}

describe("S1 TOTP parameters", () => {
  it.each<[string, number, number]>([
    ["digits", TOTP_DIGITS, 6],
    ["period in seconds", TOTP_PERIOD_IN_SECONDS, 30],
    ["secret bytes", TOTP_SECRET_BYTES, 20],
    ["window in steps (T−1..T+1)", TOTP_WINDOW_IN_STEPS, 1],
  ])("S1 %s = $2", (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("S1 RFC 4226 Appendix D HOTP vectors, as TOTP at counter × 30 s", () => {
  it.each<[number, string]>([
    [0, "755224"],
    [1, "287082"],
    [2, "359152"],
    [3, "969429"],
    [4, "338314"],
    [5, "254676"],
    [6, "287922"],
    [7, "162583"],
    [8, "399871"],
    [9, "520489"],
  ])("S1 counter %i → %s", (counter, expected) => {
    const at = atEpochSeconds(counter * 30);
    expect(generateTotpCode({ secret: rfcSecret, at })).toBe(expected);
    expect(generateTotpCode({ secret: rfcSecretBase32, at })).toBe(expected);
  });
});

describe("S1 RFC 6238 Appendix B SHA-1 vectors", () => {
  const vectors: [number, string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];

  it.each(vectors)("S1 T = %i s, 8 digits → %s", (seconds, expected) => {
    expect(generateTotpCode({ secret: rfcSecret, at: atEpochSeconds(seconds), digits: 8 })).toBe(expected);
  });

  it.each(vectors)("S1 T = %i s, 6 digits → the last six digits of %s", (seconds, eightDigits) => {
    const expected = eightDigits.slice(-6);
    expect(generateTotpCode({ secret: rfcSecret, at: atEpochSeconds(seconds) })).toBe(expected);
    expect(generateTotpCode({ secret: rfcSecretBase32, at: atEpochSeconds(seconds), digits: 6 })).toBe(
      expected,
    );
  });

  it.each<[number, string]>([
    [1111111109, "081804"],
    [1234567890, "005924"],
  ])("S1 leading zeros are kept: T = %i s → %s", (seconds, expected) => {
    expect(generateTotpCode({ secret: rfcSecret, at: atEpochSeconds(seconds) })).toBe(expected);
  });

  it.each(vectors)("S1 sub-second instants use the same step: T = %i s + 999 ms", (seconds, expected) => {
    const at = new Date(seconds * 1000 + 999);
    expect(generateTotpCode({ secret: rfcSecret, at, digits: 8 })).toBe(expected);
  });
});

describe("totpStepAt", () => {
  it.each<[number, number]>([
    [0, 0],
    [29_999, 0],
    [30_000, 1],
    [59_999, 1],
    [1_111_111_109_000, 37_037_036],
    [1_767_225_600_000, 58_907_520],
  ])("at %i ms → step %i", (milliseconds, expected) => {
    expect(totpStepAt(new Date(milliseconds))).toBe(expected);
  });
});

const secret = createTotpSecret(rfcSecret);
const baseStep = 58_907_520; // 2026-01-01T00:00:00Z / 30 s

function stepName(offset: number): string {
  if (offset === 0) return "T";
  return offset > 0 ? `T+${offset}` : `T${offset}`;
}

function codeOfStep(step: number): string {
  return generateTotpCode({ secret, at: atEpochSeconds(step * TOTP_PERIOD_IN_SECONDS) });
}

const firstSecondOfStep = atEpochSeconds(baseStep * 30);
const lastSecondOfStep = atEpochSeconds(baseStep * 30 + 29);
const lastMillisecondOfStep = new Date((baseStep * 30 + 30) * 1000 - 1);

describe("S1 verifyTotpCode accepts the steps T−1, T and T+1 of the server clock", () => {
  const instants: [string, Date][] = [
    ["first second", firstSecondOfStep],
    ["last second", lastSecondOfStep],
    ["last millisecond", lastMillisecondOfStep],
  ];
  const cases = instants.flatMap(([instant, now]) =>
    [-2, -1, 0, 1, 2].map((offset) => ({
      instant,
      now,
      offset,
      step: stepName(offset),
      expected:
        Math.abs(offset) <= 1 ? { ok: true, step: baseStep + offset } : { ok: false, reason: "INVALID_CODE" },
    })),
  );

  it.each(cases)(
    "S1 at the $instant of step T, the code of step $step → $expected",
    ({ now, offset, expected }) => {
      expect(totpStepAt(now)).toBe(baseStep);
      const code = codeOfStep(baseStep + offset);
      expect(verifyTotpCode({ secret, code, now, lastAcceptedStep: null })).toEqual(expected);
    },
  );

  it("S1 a six-digit code of no step in the window is refused", () => {
    const windowCodes = [-1, 0, 1].map((offset) => codeOfStep(baseStep + offset));
    const wrongCode = ["000000", "111111", "222222", "333333"].find((code) => !windowCodes.includes(code));
    expect(wrongCode).toBeDefined();
    expect(
      verifyTotpCode({ secret, code: wrongCode ?? "", now: firstSecondOfStep, lastAcceptedStep: null }),
    ).toEqual({ ok: false, reason: "INVALID_CODE" });
  });

  it("S1 a code made from another secret is refused", () => {
    const code = generateTotpCode({ secret: createTotpSecret(new Uint8Array(20)), at: firstSecondOfStep });
    expect([-1, 0, 1].map((offset) => codeOfStep(baseStep + offset))).not.toContain(code);
    expect(verifyTotpCode({ secret, code, now: firstSecondOfStep, lastAcceptedStep: null })).toEqual({
      ok: false,
      reason: "INVALID_CODE",
    });
  });
});

describe("S1 verifyTotpCode computes with an injected HMAC", () => {
  class Recording extends NobleCryptoPlugin {
    calls = 0;
    override hmac(...args: Parameters<NobleCryptoPlugin["hmac"]>) {
      this.calls++;
      return super.hmac(...args);
    }
  }
  class Broken extends NobleCryptoPlugin {
    override hmac() {
      return new Uint8Array(20);
    }
  }

  it("S1 the injected HMAC decides: the same as the portable one accepts, a broken one refuses", () => {
    const input = { secret, code: codeOfStep(baseStep), now: firstSecondOfStep, lastAcceptedStep: null };
    const recording = new Recording();
    expect(verifyTotpCode({ ...input, crypto: recording })).toEqual({ ok: true, step: baseStep });
    expect(recording.calls).toBeGreaterThan(0);
    expect(verifyTotpCode({ ...input, crypto: new Broken() })).toEqual({ ok: false, reason: "INVALID_CODE" });
  });
});

describe("S2 a step is accepted only after the last accepted one", () => {
  const rows: [number | null, number, boolean][] = [
    [null, 0, true],
    [-2, -1, true],
    [-1, -1, false],
    [-1, 0, true],
    [0, -1, false],
    [0, 0, false],
    [0, 1, true],
    [1, -1, false],
    [1, 0, false],
    [1, 1, false],
    [5, 1, false],
  ];
  const cases = rows.map(([last, offset, ok]) => ({
    last: last === null ? "none" : stepName(last),
    lastAcceptedStep: last === null ? null : baseStep + last,
    step: stepName(offset),
    offset,
    expected: ok ? { ok: true, step: baseStep + offset } : { ok: false, reason: "INVALID_CODE" },
  }));

  it.each(cases)(
    "S2 lastAcceptedStep $last, code of step $step (now in T) → $expected",
    ({ lastAcceptedStep, offset, expected }) => {
      const result = verifyTotpCode({
        secret,
        code: codeOfStep(baseStep + offset),
        now: firstSecondOfStep,
        lastAcceptedStep,
      });
      expect(result).toEqual(expected);
    },
  );

  it("S2 replaying the code just accepted is refused; the next step's code is accepted", () => {
    const now = firstSecondOfStep;
    const first = verifyTotpCode({ secret, code: codeOfStep(baseStep), now, lastAcceptedStep: null });
    expect(first).toEqual({ ok: true, step: baseStep });
    const lastAcceptedStep = first.ok ? first.step : null;
    expect(verifyTotpCode({ secret, code: codeOfStep(baseStep), now, lastAcceptedStep })).toEqual({
      ok: false,
      reason: "INVALID_CODE",
    });
    const later = atEpochSeconds((baseStep + 1) * 30);
    expect(verifyTotpCode({ secret, code: codeOfStep(baseStep + 1), now: later, lastAcceptedStep })).toEqual({
      ok: true,
      step: baseStep + 1,
    });
  });
});

describe("S1 verifyTotpCode refuses anything but six ASCII digits", () => {
  const eightDigitCode = generateTotpCode({ secret, at: firstSecondOfStep, digits: 8 });
  it.each<[string, string]>([
    ["empty", ""],
    ["five digits", codeOfStep(baseStep).slice(1)],
    ["seven digits", `${codeOfStep(baseStep)}0`],
    ["eight-digit code of step T", eightDigitCode],
    ["leading space", ` ${codeOfStep(baseStep)}`],
    ["inner space", `${codeOfStep(baseStep).slice(0, 3)} ${codeOfStep(baseStep).slice(3)}`],
    ["letters", "12345a"],
  ])("S1 %s (%j) → INVALID_CODE", (_label, code) => {
    expect(verifyTotpCode({ secret, code, now: firstSecondOfStep, lastAcceptedStep: null })).toEqual({
      ok: false,
      reason: "INVALID_CODE",
    });
  });
});

describe("S1 createTotpSecret", () => {
  it.each<[string, Uint8Array, string]>([
    ["the RFC secret", rfcSecret, rfcSecretBase32],
    ["20 zero bytes", new Uint8Array(20), "A".repeat(32)],
    ["20 0xff bytes", new Uint8Array(20).fill(0xff), "7".repeat(32)],
  ])("S1 %s → 32 Base32 characters without padding", (_label, bytes, expected) => {
    const encoded = createTotpSecret(bytes);
    expect(encoded).toBe(expected);
    expect(encoded).toMatch(/^[A-Z2-7]{32}$/);
  });

  it.each([0, 10, 16, 19, 21, 32])("S1 %i random bytes → RangeError", (length) => {
    expect(() => createTotpSecret(new Uint8Array(length))).toThrow(RangeError);
  });
});

function parseOtpauthUri(uri: string): { prefix: string; label: string; params: [string, string][] } {
  const [path = "", query = ""] = uri.split("?");
  const prefix = "otpauth://totp/";
  const params = query.split("&").map((pair): [string, string] => {
    const [key = "", value = ""] = pair.split("=");
    return [key, decodeURIComponent(value)];
  });
  return {
    prefix: path.slice(0, prefix.length),
    label: decodeURIComponent(path.slice(prefix.length)),
    params,
  };
}

describe("S1 buildOtpauthUri", () => {
  it.each<[string, { secret: string; accountName: string; issuer?: string }, string, string]>([
    [
      "default issuer",
      { secret: rfcSecretBase32, accountName: "alice@example.com" },
      TOTP_ISSUER,
      `${TOTP_ISSUER}:alice@example.com`,
    ],
    [
      "custom issuer",
      { secret: rfcSecretBase32, accountName: "bob@example.com", issuer: "Acme Cloud" },
      "Acme Cloud",
      "Acme Cloud:bob@example.com",
    ],
  ])("S1 %s: issuer, label, secret, SHA1, 6 digits, 30 s, each once", (_label, input, issuer, label) => {
    const uri = buildOtpauthUri(input);
    const parsed = parseOtpauthUri(uri);
    expect(parsed.prefix).toBe("otpauth://totp/");
    expect(parsed.label).toBe(label);
    expect(Object.fromEntries(parsed.params)).toEqual({
      secret: input.secret,
      issuer,
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    expect(parsed.params).toHaveLength(5);
  });

  it("S1 the issuer is the product's name by default", () => {
    expect(TOTP_ISSUER).toBe("cloud2fa");
  });
});

describe("S1 isSixDigitCode", () => {
  it.each<[string, boolean]>([
    ["123456", true],
    ["000000", true],
    ["999999", true],
    ["081804", true],
    [" 123456", false],
    ["123456 ", false],
    ["123 456", false],
    ["123456\n", false],
    ["12345", false],
    ["1234567", false],
    ["12345a", false],
    ["-12345", false],
    ["+12345", false],
    ["", false],
    ["١٢٣٤٥٦", false],
    ["１２３４５６", false],
  ])("S1 %j → %s", (value, expected) => {
    expect(isSixDigitCode(value)).toBe(expected);
  });
});
