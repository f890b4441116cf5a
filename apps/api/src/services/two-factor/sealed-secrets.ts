import { type SQL, sql } from "drizzle-orm";
import { type KeyRing, openSecret, sealedKeyId, sealSecret } from "../../crypto/secret-box.js";
import { type Queryable, queryRows } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";

// S4 key rotation: ENCRYPTION_KEYS' first key seals, every key opens. A secret sealed under a key
// the ring no longer holds cannot check any code, so it answers 503 and charges nothing (hard cap).

export function isSealedUnderConfiguredKey(ring: KeyRing, sealed: string | null): boolean {
  if (sealed === null) return true;
  const keyId = sealedKeyId(sealed);
  return keyId !== null && ring.keys.some((entry) => entry.id === keyId);
}

/** The same test in SQL, for a ciphertext column (null: nothing sealed, e.g. an email factor). */
export function isColumnSealedUnderConfiguredKey(column: SQL, ring: KeyRing): SQL {
  const ids = sql.join(
    ring.keys.map((entry) => sql`${entry.id}`),
    sql`, `,
  );
  return sql`(${column} is null or split_part(${column}, '.', 2) in (${ids}))`;
}

/** 503 ENCRYPTION_KEY_MISSING, with an error in the log that tells the operator which key to put back. */
export function refuseMissingKey(
  deps: Pick<Deps, "logger">,
  input: { userId: string; sealed: string | null },
): never {
  const keyId = input.sealed === null ? null : sealedKeyId(input.sealed);
  deps.logger.error(
    `ENCRYPTION_KEY_MISSING: the 2FA secret of ${input.userId} is sealed under key "${keyId}", which ENCRYPTION_KEYS no longer lists; add the key back (after the first) and run the reseal command before retiring it`,
    { userId: input.userId, keyId },
  );
  throw new AppError("ENCRYPTION_KEY_MISSING");
}

/** The secret sealed again under the ring's first key, or null when it is already (or cannot be opened). */
export function resealIfStale(
  deps: Pick<Deps, "keys" | "random">,
  input: { userId: string; sealed: string | null },
): { from: string; to: string } | null {
  const [first] = deps.keys.keys;
  if (input.sealed === null || !first || sealedKeyId(input.sealed) === first.id) return null;
  const plaintext = openSecret(deps.keys, { sealed: input.sealed, userId: input.userId });
  if (plaintext === null) return null;
  return { from: input.sealed, to: sealSecret(deps.keys, deps.random, { plaintext, userId: input.userId }) };
}

/**
 * `secret_ciphertext = …` for an update of `two_factors`: the resealed secret only while the row still
 * holds the one that was opened (a factor enabled again meanwhile keeps its own).
 */
export function resealedColumn(resealed: { from: string; to: string }): SQL {
  return sql`secret_ciphertext = case when secret_ciphertext = ${resealed.from} then ${resealed.to}
    else secret_ciphertext end`;
}

/** After a right code of a secret sealed under an older key: seal it under the first (no statement when current). */
export async function resealFactorIfStale(
  q: Queryable,
  deps: Pick<Deps, "keys" | "random">,
  input: { userId: string; sealed: string | null },
): Promise<void> {
  const resealed = resealIfStale(deps, input);
  if (!resealed) return;
  await queryRows(
    q,
    sql`update two_factors set ${resealedColumn(resealed)} where user_id = ${input.userId}
      returning user_id`,
  );
}
