import { liveSessionBounds } from "@cloud2fa/domain";
import { and, eq, gt, isNull, type SQL } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";

/** §6.5: the user's live sessions (isSessionLive, through the domain's bounds), as a query filter. */
export function liveSessionsOf(deps: Pick<Deps, "settings">, userId: string, now: Date): SQL {
  const bounds = liveSessionBounds(
    { ttlInHours: deps.settings.sessionTtlInHours, idleInMinutes: deps.settings.sessionIdleInMinutes },
    now,
  );
  return and(
    eq(sessions.userId, userId),
    isNull(sessions.revokedAt),
    gt(sessions.createdAt, bounds.createdAfter),
    gt(sessions.lastSeenAt, bounds.lastSeenAfter),
  ) as SQL;
}
