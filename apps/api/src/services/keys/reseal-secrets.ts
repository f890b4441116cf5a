import { sql } from "drizzle-orm";
import { sealedKeyId } from "../../crypto/secret-box.js";
import { queryRows } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { resealIfStale } from "../two-factor/sealed-secrets.js";

const BATCH_SIZE = 500;

export interface ResealReport {
  /** The key everything is sealed under afterwards: ENCRYPTION_KEYS' first. */
  keyId: string;
  factors: { resealed: number; unreadable: { userId: string; keyId: string | null }[] };
  setups: { resealed: number; unreadable: { userId: string; keyId: string | null }[] };
  /**
   * Recovery and email codes are kept as keyed hashes, not sealed: they cannot be moved to another
   * key. Unused recovery codes under an older key stop working once that key is retired (their
   * holders generate new ones); email codes live 10 minutes.
   */
  recoveryCodesUnderOlderKeys: { keyId: string; codes: number; users: number }[];
  liveEmailCodesUnderOlderKeys: number;
}

/**
 * S4 key rotation: seal every TOTP secret (enabled factors and pending setups) under the first key
 * of the ring, in batches. Each row is replaced only if it still holds the ciphertext that was read,
 * so running it beside live API processes (or twice at once) is safe. A secret whose key is not in
 * the ring is reported, never changed.
 */
export async function resealSecrets(
  deps: Pick<Deps, "db" | "keys" | "random" | "clock">,
): Promise<ResealReport> {
  const [first] = deps.keys.keys;
  if (!first) throw new Error("the key ring is empty");
  const factors = await resealTable(deps, "two_factors", first.id);
  const setups = await resealTable(deps, "two_factor_setups", first.id);
  const recoveryCodesUnderOlderKeys = await queryRows<{ keyId: string; codes: number; users: number }>(
    deps.db,
    sql`select key_id as "keyId", count(*)::int as codes, count(distinct user_id)::int as users
      from recovery_codes where consumed_at is null and key_id <> ${first.id}
      group by key_id order by key_id`,
  );
  const [emailCodes] = await queryRows<{ count: number }>(
    deps.db,
    sql`select count(*)::int as count from email_codes
      where consumed_at is null and key_id <> ${first.id}
        and expires_at > ${deps.clock.now().toISOString()}::timestamptz`,
  );
  return {
    keyId: first.id,
    factors,
    setups,
    recoveryCodesUnderOlderKeys,
    liveEmailCodesUnderOlderKeys: emailCodes?.count ?? 0,
  };
}

async function resealTable(
  deps: Pick<Deps, "db" | "keys" | "random">,
  table: "two_factors" | "two_factor_setups",
  firstKeyId: string,
): Promise<ResealReport["factors"]> {
  const report: ResealReport["factors"] = { resealed: 0, unreadable: [] };
  let after = "";
  for (;;) {
    // Walked by user id, so rows that cannot be opened are passed once, not read again each batch.
    const rows = await queryRows<{ userId: string; sealed: string }>(
      deps.db,
      sql`select user_id as "userId", secret_ciphertext as sealed from ${sql.identifier(table)}
        where secret_ciphertext is not null and split_part(secret_ciphertext, '.', 2) <> ${firstKeyId}
          and user_id > ${after}
        order by user_id limit ${BATCH_SIZE}`,
    );
    for (const row of rows) {
      const resealed = resealIfStale(deps, { userId: row.userId, sealed: row.sealed });
      if (!resealed) {
        report.unreadable.push({ userId: row.userId, keyId: sealedKeyId(row.sealed) });
        continue;
      }
      const updated = await queryRows(
        deps.db,
        sql`update ${sql.identifier(table)} set secret_ciphertext = ${resealed.to}
          where user_id = ${row.userId} and secret_ciphertext = ${resealed.from} returning user_id`,
      );
      report.resealed += updated.length;
    }
    const last = rows.at(-1);
    if (!last || rows.length < BATCH_SIZE) return report;
    after = last.userId;
  }
}
