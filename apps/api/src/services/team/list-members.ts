import type { User } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import type { Queryable } from "../../db/connect.js";
import { twoFactors, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { type TwoFactorRow, toDomainUser, twoFactorSummary, type UserRow } from "../users.js";

export function toMemberView(row: UserRow, factor: TwoFactorRow | undefined) {
  const member = toDomainUser(row);
  if (member.kind !== "member") throw new Error("not a member");
  return {
    id: row.id,
    email: row.email,
    roles: [...member.roles],
    status: member.status,
    sso: member.isSso,
    twoFactor: twoFactorSummary(factor),
    remark: row.remark,
    createdAt: row.createdAt.toISOString(),
  };
}

export type MemberView = ReturnType<typeof toMemberView>;

export async function readMemberView(q: Queryable, actor: User, memberId: string): Promise<MemberView> {
  const [found] = await q
    .select({ row: users, factor: twoFactors })
    .from(users)
    .leftJoin(twoFactors, eq(twoFactors.userId, users.id))
    .where(and(eq(users.id, memberId), eq(users.accountId, actor.accountId), eq(users.kind, "member")));
  if (!found) throw new AppError("NOT_FOUND");
  return toMemberView(found.row, found.factor ?? undefined);
}
