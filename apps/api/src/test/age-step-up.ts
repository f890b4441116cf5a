import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/connect.js";
import { sessions, users } from "../db/schema/index.js";

/**
 * Step-up, for the browser journey (which has no clock to move): moves the last code of a root user's
 * live sessions `seconds` back. Returns how many sessions moved.
 */
export async function ageRootStepUp(db: Db, email: string, seconds: number): Promise<number> {
  const [root] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.email, email), eq(users.kind, "root")));
  if (!root) return 0;
  const moved = await db
    .update(sessions)
    .set({ steppedUpAt: sql`${sessions.steppedUpAt} - make_interval(secs => ${seconds})` })
    .where(and(eq(sessions.userId, root.id), isNotNull(sessions.steppedUpAt), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return moved.length;
}
