// The bench's own RFC 6238 and secret sealing (the API's algorithms, checked against them at seeding),
// so thousands of TOTP users can be written to the database directly instead of through argon2.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
export const PERIOD_IN_SECONDS = 30;

export function base32(bytes) {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export function fromBase32(text) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const char of text.replace(/=+$/, "")) {
    value = (value << 5) | ALPHABET.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const stepAt = (ms) => Math.floor(ms / 1000 / PERIOD_IN_SECONDS);

export function totpCode(secretBytes, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", secretBytes).update(counter).digest();
  const offset = (mac[19] ?? 0) & 15;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, "0");
}

/** apps/api/src/crypto/secret-box.ts: AES-256-GCM, `v1.<keyId>.<iv>.<ciphertext+tag>`, AAD = user id. */
export function sealSecret({ id, key }, plaintext, userId) {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(userId, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return ["v1", id, iv.toString("base64url"), body.toString("base64url")].join(".");
}

export function openSecret({ key }, sealed, userId) {
  const [, , iv, body] = sealed.split(".");
  const bytes = Buffer.from(body ?? "", "base64url");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv ?? "", "base64url"));
  decipher.setAAD(Buffer.from(userId, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString(
    "utf8",
  );
}

/** S2: the user's next unused step that the server accepts now (T or T+1), or null. */
export function nextStepFor(user, nowInMs = Date.now()) {
  const current = stepAt(nowInMs);
  const step = Math.max(current, (user.lastStep ?? -1) + 1);
  return step > current + 1 ? null : step;
}

/** A six-digit code that is none of the user's codes for the steps around now. */
export function wrongCodeFor(user, nowInMs = Date.now()) {
  const current = stepAt(nowInMs);
  const near = new Set([-2, -1, 0, 1, 2].map((k) => totpCode(user.secretBytes, current + k)));
  let n = Number(totpCode(user.secretBytes, current)) + 500_000;
  for (;;) {
    const candidate = String(n % 1_000_000).padStart(6, "0");
    if (!near.has(candidate)) return candidate;
    n += 1;
  }
}
