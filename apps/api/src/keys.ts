import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KeyRing } from "./crypto/secret-box.js";
import type { Logger } from "./deps.js";
import type { Env } from "./env.js";

/** ENCRYPTION_KEYS, or with the embedded database only, a key generated once in DATA_DIR. */
export function loadKeyRing(env: Env, logger: Logger): KeyRing {
  if (env.ENCRYPTION_KEYS) return { keys: env.ENCRYPTION_KEYS };
  const file = join(env.DATA_DIR, "encryption-key");
  if (!existsSync(file)) {
    mkdirSync(env.DATA_DIR, { recursive: true });
    writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600 });
  }
  logger.warn(
    `ENCRYPTION_KEYS is not set: using the development key in ${file}. Set ENCRYPTION_KEYS in production.`,
  );
  return { keys: [{ id: "dev", key: Buffer.from(readFileSync(file, "utf8").trim(), "base64") }] };
}
