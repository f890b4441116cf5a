import { and, eq, ne } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { SessionUser } from "../auth/sessions.js";
import type { RequestMeta } from "../context.js";
import { liveSessionsOf } from "./live-sessions.js";

type RevokeDeps = Pick<Deps, "db" | "clock" | "random" | "settings">;

/** One conditional write revokes; the event names what it revoked (S8), in the same transaction. */
async function revokeWhere(
  deps: RevokeDeps,
  auth: SessionUser,
  meta: RequestMeta,
  only: (live: ReturnType<typeof liveSessionsOf>) => ReturnType<typeof and>,
): Promise<string[]> {
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: now })
      .where(only(liveSessionsOf(deps, auth.user.id, now)))
      .returning({ id: sessions.id });
    const sessionIds = revoked.map((row) => row.id).sort();
    if (sessionIds.length > 0) {
      const party = partyOf(auth.user);
      await recordAuditEvent(tx, deps, {
        accountId: auth.user.accountId,
        type: "session.revoked",
        actor: party,
        subject: party,
        meta,
        detail: { sessionIds, count: sessionIds.length, current: sessionIds.includes(auth.sessionId) },
      });
    }
    return sessionIds;
  });
}

/**
 * §6.5: end one of the user's own live sessions; another user's, an unknown or an ended one is
 * NOT_FOUND and changes nothing. Returns whether it was the requesting session (then signed out).
 */
export async function revokeOwnSession({
  deps,
  auth,
  sessionId,
  meta,
}: {
  deps: RevokeDeps;
  auth: SessionUser;
  sessionId: string;
  meta: RequestMeta;
}): Promise<{ isCurrent: boolean }> {
  const revoked = await revokeWhere(deps, auth, meta, (live) => and(live, eq(sessions.id, sessionId)));
  if (revoked.length === 0) throw new AppError("NOT_FOUND");
  return { isCurrent: sessionId === auth.sessionId };
}

/** §6.5: end every other live session of the user; this one stays. */
export async function revokeOtherSessions({
  deps,
  auth,
  meta,
}: {
  deps: RevokeDeps;
  auth: SessionUser;
  meta: RequestMeta;
}): Promise<{ count: number }> {
  const revoked = await revokeWhere(deps, auth, meta, (live) => and(live, ne(sessions.id, auth.sessionId)));
  return { count: revoked.length };
}
