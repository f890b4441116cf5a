import { createTotpSecret, generateTotpCode, verifyTotpCode } from "@cloud2fa/domain";
import { NodeCryptoPlugin } from "@otplib/plugin-crypto-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// matchTotp verifies with Node's HMAC; the domain's default is otplib's portable one. They must agree.
describe("S1 TOTP with Node's HMAC", () => {
  it("S1 accepts and refuses exactly what the portable HMAC does, step for step", () => {
    const native = new NodeCryptoPlugin();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 1_000, max: 4_000_000_000 }),
        fc.integer({ min: -2, max: 2 }),
        fc.option(fc.integer({ min: 0, max: 6 })),
        (bytes, epochSeconds, offset, afterBy) => {
          const secret = createTotpSecret(bytes);
          const now = new Date(epochSeconds * 1000);
          const code = generateTotpCode({ secret, at: new Date(now.getTime() + offset * 30_000) });
          const step = Math.floor(epochSeconds / 30);
          const input = { secret, code, now, lastAcceptedStep: afterBy === null ? null : step - 3 + afterBy };
          const portable = verifyTotpCode(input);
          expect(verifyTotpCode({ ...input, crypto: native })).toEqual(portable);
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });
});
