import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** Lower case without the look-alikes 0/o, 1/i/l. */
export const RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
export const RECOVERY_CODE_COUNT = 10;
const GROUP_LENGTH = 4;
const CODE_LENGTH = 2 * GROUP_LENGTH;
/** Two random bytes per character: the modulo bias of 65536 mod 31 is below 0.05 %. */
export const RECOVERY_CODE_RANDOM_BYTES = RECOVERY_CODE_COUNT * CODE_LENGTH * 2;

const format = (chars: string) => `${chars.slice(0, GROUP_LENGTH)}-${chars.slice(GROUP_LENGTH)}`;

/** Ten codes like `abcd-efgh` from injected random bytes. */
export function createRecoveryCodes(randomBytes: Uint8Array): string[] {
  if (randomBytes.length !== RECOVERY_CODE_RANDOM_BYTES) {
    throw new RangeError(`recovery codes need exactly ${RECOVERY_CODE_RANDOM_BYTES} random bytes`);
  }
  const codes: string[] = [];
  for (let code = 0; code < RECOVERY_CODE_COUNT; code++) {
    let chars = "";
    for (let index = 0; index < CODE_LENGTH; index++) {
      const offset = (code * CODE_LENGTH + index) * 2;
      const value = ((randomBytes[offset] ?? 0) << 8) | (randomBytes[offset + 1] ?? 0);
      chars += RECOVERY_CODE_ALPHABET[value % RECOVERY_CODE_ALPHABET.length];
    }
    codes.push(format(chars));
  }
  return codes;
}

/** Case, dashes and spaces do not matter; anything else that is not a code is null. */
export function normalizeRecoveryCode(input: string): string | null {
  const chars = input.toLowerCase().replace(/[\s-]/g, "");
  if (chars.length !== CODE_LENGTH) return null;
  for (const char of chars) if (!RECOVERY_CODE_ALPHABET.includes(char)) return null;
  return format(chars);
}

/** Stored only as a keyed hash, bound to its user (a row moved to another user matches nothing). */
export function hashRecoveryCode(key: Uint8Array, input: { userId: string; code: string }): string {
  return bytesToHex(hmac(sha256, key, utf8ToBytes(`recovery\n${input.userId}\n${input.code}`)));
}

/** The root user always gets recovery codes; a member only when the team allows them. */
export function canHaveRecoveryCodes(
  user: { kind: "root" | "member" },
  team: { allowMemberRecoveryCodes: boolean },
): boolean {
  return user.kind === "root" || team.allowMemberRecoveryCodes;
}
