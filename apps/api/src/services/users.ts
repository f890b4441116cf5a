import {
  isFactorLocked,
  type Member,
  memberRoles,
  type RootUser,
  type TwoFactorState,
  type User,
} from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import type { Queryable } from "../db/connect.js";
import { twoFactorSetups, twoFactors, users } from "../db/schema/index.js";

export type UserRow = typeof users.$inferSelect;
export type TwoFactorRow = typeof twoFactors.$inferSelect;
export type SetupRow = typeof twoFactorSetups.$inferSelect;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function toDomainUser(row: UserRow): User {
  if (row.kind === "root") {
    const root: RootUser = {
      kind: "root",
      id: row.id,
      accountId: row.accountId,
      email: row.email,
      isEmailVerified: row.emailVerifiedAt !== null,
    };
    return root;
  }
  const member: Member = {
    kind: "member",
    id: row.id,
    accountId: row.accountId,
    email: row.email,
    roles: row.roles.filter((role): role is Member["roles"][number] =>
      (memberRoles as readonly string[]).includes(role),
    ),
    status: row.status,
    isSso: row.isSso,
  };
  return member;
}

export function toTwoFactorState(
  enabled: TwoFactorRow | undefined,
  setup: SetupRow | undefined,
): TwoFactorState {
  if (enabled) {
    return {
      state: "enabled",
      method: enabled.method,
      enabledAt: enabled.enabledAt,
      lastAcceptedStep: enabled.lastAcceptedStep,
    };
  }
  if (setup) return { state: "pending", method: setup.method, expiresAt: setup.expiresAt };
  return { state: "none" };
}

export interface LoadedUser {
  row: UserRow;
  user: User;
  enabled: TwoFactorRow | undefined;
  setup: SetupRow | undefined;
  twoFactor: TwoFactorState;
}

/** One round trip: the user with its enabled factor and pending setup. */
export async function loadUser(
  q: Queryable,
  where: { id: string; accountId?: string },
): Promise<LoadedUser | null> {
  const [found] = await q
    .select({ row: users, enabled: twoFactors, setup: twoFactorSetups })
    .from(users)
    .leftJoin(twoFactors, eq(twoFactors.userId, users.id))
    .leftJoin(twoFactorSetups, eq(twoFactorSetups.userId, users.id))
    .where(
      where.accountId === undefined
        ? eq(users.id, where.id)
        : and(eq(users.id, where.id), eq(users.accountId, where.accountId)),
    );
  if (!found) return null;
  const enabled = found.enabled ?? undefined;
  const setup = found.setup ?? undefined;
  return {
    row: found.row,
    user: toDomainUser(found.row),
    enabled,
    setup,
    twoFactor: toTwoFactorState(enabled, setup),
  };
}

export function twoFactorSummary(enabled: TwoFactorRow | undefined) {
  return {
    enabled: enabled !== undefined,
    method: enabled?.method ?? null,
    enabledAt: enabled?.enabledAt.toISOString() ?? null,
    // Only with a factor: the summary of "no 2FA" keeps its three fields.
    ...(enabled ? { locked: isFactorLocked(enabled) } : {}),
  };
}

export async function findRootOfAccount(q: Queryable, accountId: string): Promise<UserRow | null> {
  const [root] = await q
    .select()
    .from(users)
    .where(and(eq(users.accountId, accountId), eq(users.kind, "root")));
  return root ?? null;
}
