import type { AuditFilter } from "@cloud2fa/domain";
import { and, eq, gte, inArray, lt, or, type SQL } from "drizzle-orm";
import { auditEvents } from "../../db/schema/index.js";

type Kind = "root" | "member";

/** One team's events that match the filter: the member as actor or subject, any of the types, at in [from, to). */
export function auditEventsWhere(accountId: string, filter: AuditFilter): SQL | undefined {
  return and(
    eq(auditEvents.accountId, accountId),
    filter.memberId === undefined
      ? undefined
      : or(eq(auditEvents.subjectId, filter.memberId), eq(auditEvents.actorId, filter.memberId)),
    filter.types === undefined || filter.types.length === 0
      ? undefined
      : inArray(auditEvents.type, [...filter.types]),
    filter.from === undefined ? undefined : gte(auditEvents.at, filter.from),
    filter.to === undefined ? undefined : lt(auditEvents.at, filter.to),
  );
}

function party(id: string | null, kind: string | null, email: string | null) {
  return id === null ? null : { id, kind: (kind ?? "member") as Kind, email: email ?? "" };
}

export function auditEventView(row: typeof auditEvents.$inferSelect) {
  return {
    id: row.id,
    type: row.type,
    actor: party(row.actorId, row.actorKind, row.actorEmail),
    subject: party(row.subjectId, row.subjectKind, row.subjectEmail),
    at: row.at.toISOString(),
    clientAddress: row.clientAddress,
    userAgent: row.userAgent,
    detail: row.detail,
  };
}
