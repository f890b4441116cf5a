import { canActivateMember } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { admitPasswordHash } from "../../crypto/passwords.js";
import { queryRows } from "../../db/connect.js";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import {
  passwordThrottleOf,
  refundPasswordAttemptStatement,
  reservePasswordAttempt,
} from "../limits/password-throttle.js";
import { toDomainUser, type UserRow } from "../users.js";
import { consumeOneTimeToken, findLinkUser } from "./consume-token.js";
import { requireStrongPassword } from "./password-rules.js";

/** The pending member a live invitation link is for, or null (unknown, used or expired link). */
async function findInvitedMember(
  deps: ServiceCall<unknown>["deps"],
  token: string,
  now: Date,
): Promise<UserRow | null> {
  const user = await findLinkUser(deps.db, { token, purpose: "activate_member", now });
  return user?.kind === "member" ? user : null;
}

/**
 * §6.2: the initial password the inviter chose proves the link was not only intercepted; a wrong one
 * is charged like a sign-in attempt on the member's keys (S3) and leaves the link usable. The new one
 * follows §6.3 and differs from the initial one, so the inviter's password stops working here.
 */
async function checkInitialPassword(
  deps: ServiceCall<unknown>["deps"],
  member: UserRow,
  password: string,
  meta: ServiceCall<unknown>["meta"],
): Promise<void> {
  const throttle = passwordThrottleOf(
    { kind: "member", accountId: member.accountId, emailNormalized: member.emailNormalized },
    meta.clientAddress,
  );
  const hashing = admitPasswordHash(meta.clientAddress, deps.passwordHashCost);
  let isPasswordRight: boolean;
  try {
    await reservePasswordAttempt(deps.db, throttle, deps.clock.now());
    isPasswordRight = await hashing.verify(member.passwordHash, password);
  } finally {
    hashing.release();
  }
  if (!isPasswordRight) throw new AppError("INVALID_CREDENTIALS", { isPasswordOnPage: true });
  await queryRows(deps.db, refundPasswordAttemptStatement(throttle));
}

/** Activation is the only way from pending to active; it signs nobody in. */
export async function activateMember({
  deps,
  input,
  meta,
}: ServiceCall<{ token: string; initialPassword: string; newPassword: string }>) {
  const now = deps.clock.now();
  const invited = await findInvitedMember(deps, input.token, now);
  if (!invited) throw new AppError("INVALID_TOKEN");
  const invitedMember = toDomainUser(invited);
  if (invitedMember.kind !== "member") throw new AppError("INVALID_TOKEN");
  const decision = canActivateMember(invitedMember);
  if (!decision.ok) throw new AppError(decision.reason);
  requireStrongPassword(input.newPassword, {
    email: invited.email,
    field: "newPassword",
    replaced: input.initialPassword,
  });
  await checkInitialPassword(deps, invited, input.initialPassword, meta);
  const passwordHash = await admitPasswordHash(meta.clientAddress, deps.passwordHashCost).hash(
    input.newPassword,
  );
  return deps.db.transaction(async (tx) => {
    const { userId } = await consumeOneTimeToken(tx, { token: input.token, purpose: "activate_member", now });
    const [row] = await tx.select().from(users).where(eq(users.id, userId)).for("no key update");
    const member = row ? toDomainUser(row) : null;
    if (!row || member?.kind !== "member" || row.passwordHash !== invited.passwordHash) {
      throw new AppError("INVALID_TOKEN");
    }
    const still = canActivateMember(member);
    if (!still.ok) throw new AppError(still.reason);
    await tx
      .update(users)
      .set({ status: "active", passwordHash, mustChangePassword: false })
      .where(eq(users.id, userId));
    await recordAuditEvent(tx, deps, {
      accountId: row.accountId,
      type: "member.activated",
      actor: partyOf(row),
      subject: partyOf(row),
      meta,
    });
    return { accountId: row.accountId, email: row.email };
  });
}
