import { describe, expect, it } from "vitest";
import { createTestRandom } from "../test/harness.js";
import { codeHashKey, openSecret, sealSecret } from "./secret-box.js";

const k1 = { id: "k1", key: new Uint8Array(32).fill(1) };
const k2 = { id: "k2", key: new Uint8Array(32).fill(2) };
const random = createTestRandom("secret-box");
const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

describe("S4 secrets at rest: AES-256-GCM with a key id and the user id as associated data", () => {
  it("S4 seals without the plaintext and opens for the same user", () => {
    const sealed = sealSecret({ keys: [k1] }, random, { plaintext: secret, userId: "usr_a" });
    expect(sealed).not.toContain(secret);
    expect(sealed.split(".").slice(0, 2)).toEqual(["v1", "k1"]);
    expect(openSecret({ keys: [k1] }, { sealed, userId: "usr_a" })).toBe(secret);
  });

  it("S4 a ciphertext moved to another user's row does not decrypt", () => {
    const sealed = sealSecret({ keys: [k1] }, random, { plaintext: secret, userId: "usr_a" });
    expect(openSecret({ keys: [k1] }, { sealed, userId: "usr_b" })).toBeNull();
  });

  it("S4 rotation: the first key encrypts, every key decrypts; an unknown key id does not open", () => {
    const old = sealSecret({ keys: [k1] }, random, { plaintext: secret, userId: "usr_a" });
    const rotated = { keys: [k2, k1] };
    expect(openSecret(rotated, { sealed: old, userId: "usr_a" })).toBe(secret);
    expect(sealSecret(rotated, random, { plaintext: secret, userId: "usr_a" })).toMatch(/^v1\.k2\./);
    expect(openSecret({ keys: [k2] }, { sealed: old, userId: "usr_a" })).toBeNull();
  });

  it.each(["", "v2.k1.a.b", "v1.k1.!!.??", "v1.k1"])(
    "S4 a malformed envelope does not open: %j",
    (sealed) => {
      expect(openSecret({ keys: [k1] }, { sealed, userId: "usr_a" })).toBeNull();
    },
  );

  it("S4 a tampered ciphertext does not open", () => {
    const sealed = sealSecret({ keys: [k1] }, random, { plaintext: secret, userId: "usr_a" });
    const last = sealed.at(-2) === "A" ? "B" : "A";
    expect(
      openSecret(
        { keys: [k1] },
        { sealed: `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, userId: "usr_a" },
      ),
    ).toBeNull();
  });

  it("S1 email-code hash keys are derived per key id, not the encryption key itself", () => {
    const derived = codeHashKey({ keys: [k2, k1] });
    expect(derived?.id).toBe("k2");
    expect(derived?.key).not.toEqual(k2.key);
    expect(codeHashKey({ keys: [k2, k1] }, "k1")?.key).toEqual(codeHashKey({ keys: [k1] })?.key);
    expect(codeHashKey({ keys: [k1] }, "gone")).toBeNull();
  });
});
