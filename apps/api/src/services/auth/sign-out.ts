import { sql } from "drizzle-orm";
import { queryRows } from "../../db/connect.js";
import type { Deps } from "../../deps.js";
import { auditEventInsertWhen, partyOf } from "../audit/record-event.js";
import type { RequestMeta } from "../context.js";
import type { SessionUser } from "./sessions.js";

/** S5: sign-out revokes the session server-side; S8: audited in the same statement, once per session. */
export async function signOut({
  deps,
  auth,
  meta,
}: {
  deps: Pick<Deps, "db" | "clock" | "random">;
  auth: SessionUser;
  meta: RequestMeta;
}): Promise<void> {
  const now = deps.clock.now();
  const party = partyOf(auth.user);
  const signedOut = auditEventInsertWhen(
    deps,
    { accountId: auth.user.accountId, type: "session.signed_out", actor: party, subject: party, meta },
    sql`select 1 from revoked`,
  );
  await queryRows(
    deps.db,
    sql`
    with revoked as (
      update sessions set revoked_at = ${now.toISOString()}::timestamptz
      where id = ${auth.sessionId} and revoked_at is null
      returning id),
    audited as (${signedOut})
    select id from revoked`,
  );
}
