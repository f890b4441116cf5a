import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import type { Random } from "../deps.js";

export interface KeyRing {
  /** The first key encrypts; every key decrypts (rotation). */
  keys: readonly { id: string; key: Uint8Array }[];
}

const IV_BYTES = 12;

function primaryKey(ring: KeyRing): { id: string; key: Uint8Array } {
  const [first] = ring.keys;
  if (!first) throw new Error("the key ring is empty");
  return first;
}

function findKey(ring: KeyRing, id: string): Uint8Array | null {
  return ring.keys.find((entry) => entry.id === id)?.key ?? null;
}

/** S4: AES-256-GCM with the key id in the envelope and the owner's user id as associated data. */
export function sealSecret(
  ring: KeyRing,
  random: Random,
  input: { plaintext: string; userId: string },
): string {
  const { id, key } = primaryKey(ring);
  const iv = random.bytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(input.userId, "utf8"));
  const body = Buffer.concat([cipher.update(input.plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return ["v1", id, Buffer.from(iv).toString("base64url"), body.toString("base64url")].join(".");
}

/** The id of the key a ciphertext was sealed under, or null when it is not an envelope of ours. */
export function sealedKeyId(sealed: string): string | null {
  const [version, keyId] = sealed.split(".");
  return version === "v1" && keyId ? keyId : null;
}

/** Returns null for a ciphertext that does not open: wrong key, tampered, or another user's row. */
export function openSecret(ring: KeyRing, input: { sealed: string; userId: string }): string | null {
  const [version, keyId, iv, body] = input.sealed.split(".");
  if (version !== "v1" || !keyId || !iv || !body) return null;
  const key = findKey(ring, keyId);
  if (!key) return null;
  const bytes = Buffer.from(body, "base64url");
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(input.userId, "utf8"));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  } catch {
    return null;
  }
}

/** A key for hashing email codes, derived per key id so rotation keeps recent codes checkable. */
export function codeHashKey(ring: KeyRing, keyId?: string): { id: string; key: Uint8Array } | null {
  const entry = keyId === undefined ? primaryKey(ring) : { id: keyId, key: findKey(ring, keyId) };
  if (!entry.key) return null;
  return {
    id: entry.id,
    key: new Uint8Array(hkdfSync("sha256", entry.key, new Uint8Array(0), "cloud2fa email codes", 32)),
  };
}

/** A key for hashing recovery codes, derived per key id apart from the email-code key. */
export function recoveryCodeHashKey(ring: KeyRing, keyId?: string): { id: string; key: Uint8Array } | null {
  const entry = keyId === undefined ? primaryKey(ring) : { id: keyId, key: findKey(ring, keyId) };
  if (!entry.key) return null;
  return {
    id: entry.id,
    key: new Uint8Array(hkdfSync("sha256", entry.key, new Uint8Array(0), "cloud2fa recovery codes", 32)),
  };
}
