import type { User } from "@cloud2fa/domain";
import { and, desc, eq, lt } from "drizzle-orm";
import { auditEvents } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { authorizeTeamAction } from "../team/authorize.js";

type Kind = "root" | "member";

function party(id: string | null, kind: string | null, email: string | null) {
  return id === null ? null : { id, kind: (kind ?? "member") as Kind, email: email ?? "" };
}

/** Newest first; the cursor is the position of the last event returned. */
export async function listAuditEvents({
  deps,
  actor,
  cursor,
  limit,
}: {
  deps: Deps;
  actor: User;
  cursor: number | undefined;
  limit: number;
}) {
  authorizeTeamAction(actor, "readAudit");
  const rows = await deps.db
    .select()
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.accountId, actor.accountId),
        cursor === undefined ? undefined : lt(auditEvents.seq, cursor),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    events: page.map((row) => ({
      id: row.id,
      type: row.type,
      actor: party(row.actorId, row.actorKind, row.actorEmail),
      subject: party(row.subjectId, row.subjectKind, row.subjectEmail),
      at: row.at.toISOString(),
      clientAddress: row.clientAddress,
      userAgent: row.userAgent,
      detail: row.detail,
    })),
    nextCursor: rows.length > limit && last ? String(last.seq) : null,
  };
}
