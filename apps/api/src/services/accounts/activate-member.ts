import { canActivateMember } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { toDomainUser } from "../users.js";
import { consumeOneTimeToken } from "./consume-token.js";

/** Activation is the only way from pending to active. */
export async function activateMember({ deps, input, meta }: ServiceCall<{ token: string }>) {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const { userId } = await consumeOneTimeToken(tx, { token: input.token, purpose: "activate_member", now });
    const [row] = await tx.select().from(users).where(eq(users.id, userId)).for("no key update");
    const member = row ? toDomainUser(row) : null;
    if (!row || member?.kind !== "member") throw new AppError("INVALID_TOKEN");
    const decision = canActivateMember(member);
    if (!decision.ok) throw new AppError(decision.reason);
    await tx.update(users).set({ status: "active" }).where(eq(users.id, userId));
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
