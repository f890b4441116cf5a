import { desc } from "drizzle-orm";
import { sessions } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { describeUserAgent } from "../../http/user-agent.js";
import type { SessionUser } from "../auth/sessions.js";
import { liveSessionsOf } from "./live-sessions.js";

export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  clientAddress: string | null;
  browser: string | null;
  os: string | null;
}

/** §6.5: where the user is signed in, newest first; never a token or its hash (only these columns are read). */
export async function listSessions({
  deps,
  auth,
}: {
  deps: Pick<Deps, "db" | "clock" | "settings">;
  auth: SessionUser;
}): Promise<SessionView[]> {
  const rows = await deps.db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      clientAddress: sessions.clientAddress,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(liveSessionsOf(deps, auth.user.id, deps.clock.now()))
    .orderBy(desc(sessions.createdAt), desc(sessions.id));
  return rows.map((row) => ({
    id: row.id,
    current: row.id === auth.sessionId,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    clientAddress: row.clientAddress,
    ...describeUserAgent(row.userAgent),
  }));
}
