import type { AuditFilter } from "@cloud2fa/domain";
import { and, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Queryable } from "../../db/connect.js";
import { auditEvents } from "../../db/schema/index.js";

type Kind = "root" | "member";

const isOtherActor = sql`${auditEvents.actorId} is not null and ${auditEvents.actorId} is distinct from ${auditEvents.subjectId}`;

/**
 * One team's events that match the filter (the member as actor or subject, any of the types, at in
 * [from, to)), as the conditions of queries whose results together are those events, without overlap.
 * With a member, two: the member as subject, and as the actor of an event about someone else (the
 * partial index of schema/audit.ts); each walks its own index newest first (issue 18: as one OR, the
 * planner walked the whole trail for a member with few events).
 */
export function auditEventsWhereEach(accountId: string, filter: AuditFilter): SQL[] {
  const common = [
    eq(auditEvents.accountId, accountId),
    filter.types === undefined || filter.types.length === 0
      ? undefined
      : inArray(auditEvents.type, [...filter.types]),
    filter.from === undefined ? undefined : gte(auditEvents.at, filter.from),
    filter.to === undefined ? undefined : lt(auditEvents.at, filter.to),
  ];
  const all = (...conditions: (SQL | undefined)[]) => and(...common, ...conditions) as SQL;
  if (filter.memberId === undefined) return [all()];
  return [
    all(eq(auditEvents.subjectId, filter.memberId)),
    all(eq(auditEvents.actorId, filter.memberId), isOtherActor),
  ];
}

/** The newest `limit` events of the filter, before position `before` if given. */
export async function selectAuditEvents(
  db: Queryable,
  input: { accountId: string; filter: AuditFilter; before: number | undefined; limit: number },
): Promise<(typeof auditEvents.$inferSelect)[]> {
  const pages = await Promise.all(
    auditEventsWhereEach(input.accountId, input.filter).map((condition) =>
      db
        .select()
        .from(auditEvents)
        .where(input.before === undefined ? condition : and(condition, lt(auditEvents.seq, input.before)))
        .orderBy(desc(auditEvents.seq))
        .limit(input.limit),
    ),
  );
  const [only, ...others] = pages;
  if (others.length === 0) return only ?? [];
  return pages
    .flat()
    .sort((a, b) => b.seq - a.seq)
    .slice(0, input.limit);
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
