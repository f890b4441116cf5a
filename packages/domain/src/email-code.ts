import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { EMAIL_CODE_DIGITS, EMAIL_CODE_RANDOM_BYTES } from "./constants.js";
import type { EmailCodePurpose, EmailCodeRecord } from "./entities.js";
import { isPast } from "./time.js";

/** S1: six random digits from injected random bytes. */
export function createEmailCode(randomBytes: Uint8Array): string {
  if (randomBytes.length !== EMAIL_CODE_RANDOM_BYTES) {
    throw new RangeError(`an email code needs exactly ${EMAIL_CODE_RANDOM_BYTES} random bytes`);
  }
  let value = 0n;
  for (const byte of randomBytes) value = (value << 8n) | BigInt(byte);
  return (value % 10n ** BigInt(EMAIL_CODE_DIGITS)).toString().padStart(EMAIL_CODE_DIGITS, "0");
}

/** S1: stored only as a keyed hash, bound to its purpose and to one challenge or setup. */
export function hashEmailCode(
  key: Uint8Array,
  input: { purpose: EmailCodePurpose; bindingId: string; code: string },
): string {
  return bytesToHex(hmac(sha256, key, utf8ToBytes(`${input.purpose}\n${input.bindingId}\n${input.code}`)));
}

export function constantTimeEqual(left: string, right: string): boolean {
  const a = utf8ToBytes(left);
  const b = utf8ToBytes(right);
  let difference = a.length ^ b.length;
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    difference |= (a[index] ?? 0) ^ (b[index] ?? 0);
  }
  return difference === 0;
}

/** S1: a live, unused code of this purpose and binding, compared in constant time. */
export function checkEmailCode(
  key: Uint8Array,
  record: EmailCodeRecord,
  input: { purpose: EmailCodePurpose; bindingId: string; code: string; now: Date },
): { ok: true } | { ok: false; reason: "INVALID_CODE" } {
  const expected = hashEmailCode(key, input);
  const matches = constantTimeEqual(record.codeHash, expected);
  const isLive =
    record.consumedAt === null &&
    !isPast(record.expiresAt, input.now) &&
    record.purpose === input.purpose &&
    record.bindingId === input.bindingId;
  return matches && isLive ? { ok: true } : { ok: false, reason: "INVALID_CODE" };
}
