import { createHash } from "node:crypto";
import type { Random } from "../deps.js";

const ID_BYTES = 16;

/** Prefixed random ids (`usr_`, `mem_`, `chl_`, `ses_` …): 128 bits, safe to show in logs. */
export function createId(random: Random, prefix: string): string {
  return `${prefix}_${Buffer.from(random.bytes(ID_BYTES)).toString("base64url")}`;
}

/** S5: an opaque token of `bytes` random bytes; only its hash is stored. */
export function createToken(random: Random, bytes: number): { token: string; tokenHash: string } {
  const token = Buffer.from(random.bytes(bytes)).toString("base64url");
  return { token, tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}
