import {
  addSeconds,
  canResetPassword,
  MAX_PASSWORD_RESETS_PER_ADDRESS,
  MAX_PASSWORD_RESETS_PER_EMAIL,
  PASSWORD_RESET_TTL_IN_SECONDS,
  PASSWORD_RESET_WINDOW_IN_SECONDS,
  RESET_TOKEN_BYTES,
} from "@cloud2fa/domain";
import { and, eq, sql } from "drizzle-orm";
import { createId, createToken } from "../../crypto/tokens.js";
import { queryRows } from "../../db/connect.js";
import { users } from "../../db/schema/index.js";
import { passwordResetMessage } from "../../mail/messages.js";
import type { ServiceCall } from "../context.js";
import { chargeThrottleKeys } from "../limits/password-throttle.js";
import { outboxInsertWhen } from "../mail.js";
import { normalizeEmail, toDomainUser } from "../users.js";

/** A root user by its address; a member by its team and address. */
export interface PasswordResetRequest {
  accountId?: string | undefined;
  email: string;
}

/** §6.1, S3: per account named (root by address, member by team and address) and per client address. */
export function passwordResetThrottleKeys(input: PasswordResetRequest, clientAddress: string | null) {
  const windowInSeconds = PASSWORD_RESET_WINDOW_IN_SECONDS;
  const emailNormalized = normalizeEmail(input.email);
  const account =
    input.accountId === undefined
      ? `root:${emailNormalized}`
      : `member:${input.accountId}:${emailNormalized}`;
  return [
    {
      key: `password-reset:account:${account}`,
      limit: { limit: MAX_PASSWORD_RESETS_PER_EMAIL, windowInSeconds },
    },
    ...(clientAddress
      ? [
          {
            key: `password-reset:address:${clientAddress}`,
            limit: { limit: MAX_PASSWORD_RESETS_PER_ADDRESS, windowInSeconds },
          },
        ]
      : []),
  ];
}

/**
 * §6.1, S6: the same answer for every address, charged on the throttles before the address is
 * looked up. Only a real account (canResetPassword) gets a link; a new link deletes the user's
 * older ones in the statement that creates it and queues its mail, so only the newest works.
 * Everyone else gets no mail at all: a note to the owner would tell a prober nothing it needs and
 * cost the owner a mailbox flood.
 */
export async function requestPasswordReset({ deps, input, meta }: ServiceCall<PasswordResetRequest>) {
  const now = deps.clock.now();
  await chargeThrottleKeys(deps.db, passwordResetThrottleKeys(input, meta.clientAddress), now);
  const emailNormalized = normalizeEmail(input.email);
  const { accountId } = input;
  const isMember = accountId !== undefined;
  const match =
    accountId === undefined
      ? and(eq(users.kind, "root"), eq(users.emailNormalized, emailNormalized))
      : and(
          eq(users.kind, "member"),
          eq(users.accountId, accountId),
          eq(users.emailNormalized, emailNormalized),
        );
  const { token, tokenHash } = createToken(deps.random, RESET_TOKEN_BYTES);
  const tokenId = createId(deps.random, "tok");
  const page = isMember ? "/member/reset-password" : "/reset-password";
  const link = `${deps.settings.publicUrl}${page}?token=${encodeURIComponent(token)}`;
  const expiresAt = addSeconds(now, PASSWORD_RESET_TTL_IN_SECONDS).toISOString();
  const at = now.toISOString();
  await deps.db.transaction(async (tx) => {
    const [row] = await tx.select().from(users).where(match).for("no key update");
    const userId = row && canResetPassword(toDomainUser(row)) ? row.id : null;
    // S6: one statement run alike for every address, writing only for a real account: its older
    // links go, the new one and its mail come (the mail sealed either way, never queued for others).
    const message = passwordResetMessage(row?.email ?? input.email, {
      link,
      ttlInSeconds: PASSWORD_RESET_TTL_IN_SECONDS,
    });
    await queryRows(
      tx,
      sql`with target as (select id from users where id = ${userId}),
      removed as (delete from one_time_tokens
        where user_id in (select id from target) and purpose = 'reset_password'),
      created as (insert into one_time_tokens (id, purpose, user_id, token_hash, expires_at, created_at)
        select ${tokenId}, 'reset_password', id, ${tokenHash}, ${expiresAt}::timestamptz, ${at}::timestamptz
        from target returning id)
      ${outboxInsertWhen(deps, [message], sql`select 1 from created`)}`,
    );
  });
}
