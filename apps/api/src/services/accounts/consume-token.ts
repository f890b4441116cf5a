import { sql } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import { queryRows, type Tx } from "../../db/connect.js";
import { AppError } from "../../http/errors.js";

/**
 * Single use, settled by one conditional write: a link opened twice at once works once. A
 * verification link's password hash (S6) is handed over and cleared, so a spent link keeps no copy.
 */
export async function consumeOneTimeToken(
  tx: Tx,
  input: { token: string; purpose: "verify_email" | "activate_member"; now: Date },
): Promise<{ userId: string; passwordHash: string | null }> {
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const [consumed] = await queryRows<{ userId: string; passwordHash: string | null }>(
    tx,
    sql`update one_time_tokens as t set consumed_at = ${now}, password_hash = null
      from (select id, password_hash from one_time_tokens
        where token_hash = ${hashToken(input.token)} and purpose = ${input.purpose}
          and consumed_at is null and expires_at > ${now}
        for update) as live
      where t.id = live.id
      returning t.user_id as "userId", live.password_hash as "passwordHash"`,
  );
  if (!consumed) throw new AppError("INVALID_TOKEN");
  return consumed;
}
