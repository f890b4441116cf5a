import { sql } from "drizzle-orm";
import { sealedKeyId } from "../../crypto/secret-box.js";
import { queryRows } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { resealIfStale } from "../two-factor/sealed-secrets.js";

export interface SsoResealReport {
  resealed: number;
  unreadable: { accountId: string; keyId: string | null }[];
}

/**
 * S4 key rotation for §7.1: every team's SSO client secret sealed under the ring's first key (the
 * account id is its associated data); a row is replaced only if it still holds what was read.
 */
export async function resealSsoClientSecrets(
  deps: Pick<Deps, "db" | "keys" | "random">,
): Promise<SsoResealReport> {
  const [first] = deps.keys.keys;
  if (!first) throw new Error("the key ring is empty");
  const report: SsoResealReport = { resealed: 0, unreadable: [] };
  const rows = await queryRows<{ accountId: string; sealed: string }>(
    deps.db,
    sql`select account_id as "accountId", client_secret_ciphertext as sealed from team_sso
      where split_part(client_secret_ciphertext, '.', 2) <> ${first.id} order by account_id`,
  );
  for (const row of rows) {
    const resealed = resealIfStale(deps, { userId: row.accountId, sealed: row.sealed });
    if (!resealed) {
      report.unreadable.push({ accountId: row.accountId, keyId: sealedKeyId(row.sealed) });
      continue;
    }
    const updated = await queryRows(
      deps.db,
      sql`update team_sso set client_secret_ciphertext = ${resealed.to}
        where account_id = ${row.accountId} and client_secret_ciphertext = ${resealed.from} returning account_id`,
    );
    report.resealed += updated.length;
  }
  return report;
}
