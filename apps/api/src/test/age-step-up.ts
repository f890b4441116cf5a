import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/connect.js";
import { sessions, users } from "../db/schema/index.js";

/**
 * Step-up, for the browser journeys (which have no clock to move): moves the last code of the live
 * sessions of the users with this address (a root user, or members of any team) `seconds` back.
 * Returns how many sessions moved.
 */
export async function ageStepUp(db: Db, email: string, seconds: number): Promise<number> {
  const owners = db.select({ id: users.id }).from(users).where(eq(users.email, email));
  const moved = await db
    .update(sessions)
    .set({ steppedUpAt: sql`${sessions.steppedUpAt} - make_interval(secs => ${seconds})` })
    .where(and(inArray(sessions.userId, owners), isNotNull(sessions.steppedUpAt), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return moved.length;
}
