import {
  canSignIn,
  isSessionLive,
  type MemberEnrolment,
  type MemberTwoFactorPolicy,
  memberEnrolment,
  mustSignInWithSso,
  sessionExpiresAt,
  type User,
} from "@cloud2fa/domain";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import type { Db, Queryable } from "../../db/connect.js";
import { accounts, sessions, signInChallenges, teamSso, twoFactors, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { USER_AGENT_MAX_LENGTH } from "../../http/user-agent.js";
import type { RequestMeta } from "../context.js";
import { type TwoFactorRow, toDomainUser, type UserRow } from "../users.js";

const LAST_SEEN_RESOLUTION_IN_MS = 60_000;

/** §6.5: what a session keeps of where it was opened (the User-Agent bounded as in audit rows). */
export function sessionOrigin(meta: RequestMeta): { clientAddress: string | null; userAgent: string | null } {
  return {
    clientAddress: meta.clientAddress,
    userAgent: meta.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
  };
}

export interface SessionUser {
  sessionId: string;
  user: User;
  row: UserRow;
  enabled: TwoFactorRow | undefined;
  /** Step-up: when a valid code was last entered in this session. */
  steppedUpAt: Date | null;
  /** Require 2FA for members: the team policy, read live with the session, and what it asks of this user. */
  policy: MemberTwoFactorPolicy;
  enrolment: MemberEnrolment;
  /** §8.2: the sign-in that opened this session passed a second factor. */
  secondFactorPassed: boolean;
  /** When the session ends if not used again (idle), or at the latest (absolute). */
  expiresAt: Date;
  /** §7.3: the team's SSO is on (an SSO member's step-up is then a fresh sign-in at the provider). */
  isTeamSsoEnabled: boolean;
  /**
   * §6.2: still on the inviter's password, and a password is this user's way in. §7.3: an SSO member
   * of a team whose SSO is on has no password path, so it owes no password change.
   */
  isPasswordChangeOwed: boolean;
}

function sessionLookupOn(db: Db) {
  return db
    .select({
      session: sessions,
      user: users,
      enabled: twoFactors,
      required: accounts.requireMemberTwoFactor,
      deadline: accounts.memberTwoFactorDeadline,
      isTeamSsoEnabled: teamSso.enabled,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .leftJoin(twoFactors, eq(twoFactors.userId, sessions.userId))
    .leftJoin(teamSso, eq(teamSso.accountId, users.accountId))
    .where(eq(sessions.tokenHash, sql.placeholder("tokenHash")))
    .prepare("resolve_session");
}

/** Every signed-in request looks its session up: the statement is built once per database, not per request. */
const sessionLookups = new WeakMap<Db, ReturnType<typeof sessionLookupOn>>();

/**
 * The signed-in user of a session token, or null: revoked, expired, idle, or no longer allowed in.
 * §8.2: `isVisible` (a service's view) may refuse the session's account before its last-seen time is touched.
 */
export async function resolveSession(
  deps: Deps,
  token: string,
  isVisible: (accountId: string) => boolean = () => true,
): Promise<SessionUser | null> {
  const now = deps.clock.now();
  let lookup = sessionLookups.get(deps.db);
  if (!lookup) {
    lookup = sessionLookupOn(deps.db);
    sessionLookups.set(deps.db, lookup);
  }
  const [found] = await lookup.execute({ tokenHash: hashToken(token) });
  if (!found) return null;
  const lifetime = {
    ttlInHours: deps.settings.sessionTtlInHours,
    idleInMinutes: deps.settings.sessionIdleInMinutes,
  };
  if (!isSessionLive(found.session, lifetime, now)) return null;
  const user = toDomainUser(found.user);
  if (!canSignIn(user).ok || !isVisible(found.user.accountId)) return null;
  let lastSeenAt = found.session.lastSeenAt;
  if (now.getTime() - lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_IN_MS) {
    await deps.db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, found.session.id));
    lastSeenAt = now;
  }
  const enabled = found.enabled ?? undefined;
  const policy = { required: found.required, deadline: found.deadline };
  const enrolment = memberEnrolment({ policy, user, hasTwoFactor: enabled !== undefined }, now);
  return {
    sessionId: found.session.id,
    user,
    row: found.user,
    enabled,
    steppedUpAt: found.session.steppedUpAt,
    policy,
    enrolment,
    secondFactorPassed: found.session.secondFactorPassed,
    expiresAt: sessionExpiresAt({ ...found.session, lastSeenAt }, lifetime),
    isTeamSsoEnabled: found.isTeamSsoEnabled === true,
    isPasswordChangeOwed:
      found.user.mustChangePassword && !mustSignInWithSso(user, found.isTeamSsoEnabled === true),
  };
}

/**
 * S5, R2: a sign-in whose password check began before this (in this transaction) opens nothing on
 * what it read: it waits for the user's row, then decides again (log-in.ts). Locks the row.
 */
export async function raiseAccessVersion(q: Queryable, userId: string): Promise<void> {
  await q
    .update(users)
    .set({ accessVersion: sql`${users.accessVersion} + 1` })
    .where(eq(users.id, userId));
}

/**
 * S5: revoke every session of a user (but `exceptSessionId`), and its pending sign-in challenges.
 * First the user's access version goes up (`raiseAccessVersion`), then the challenges, then the
 * sessions: a code verification that settles meanwhile either finds its challenge revoked or has
 * created a session that the last statement, run after it, revokes.
 */
export async function revokeUserAccess(
  q: Queryable,
  input: { userId: string; now: Date; exceptSessionId?: string },
): Promise<void> {
  await raiseAccessVersion(q, input.userId);
  await q
    .update(signInChallenges)
    .set({ consumedAt: input.now })
    .where(and(eq(signInChallenges.userId, input.userId), isNull(signInChallenges.consumedAt)));
  const sessionFilter = and(eq(sessions.userId, input.userId), isNull(sessions.revokedAt));
  await q
    .update(sessions)
    .set({ revokedAt: input.now })
    .where(
      input.exceptSessionId ? and(sessionFilter, ne(sessions.id, input.exceptSessionId)) : sessionFilter,
    );
}
