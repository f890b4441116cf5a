import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * S8: actor and subject are copied, so the trail outlives a deleted member. Append-only: a trigger
 * (migration 0002) refuses UPDATE and DELETE of a row, and no code path writes anything but INSERT.
 *
 * Issue 18: every code check writes an event, so the table keeps only the indexes its queries use
 * (measured on a million events: `pnpm bench --audit-queries`, bench/README.md). The key is the team and
 * the position, which the list walks newest first; the event's id is random (128 bits) and looked up by
 * no query, so it has no index; and `account_id` has no foreign key, whose check took a share lock on
 * the team's account row for every event (the product never deletes an account).
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint({ mode: "number" }).notNull().generatedAlwaysAsIdentity(),
    id: text().notNull(),
    accountId: text().notNull(),
    type: text().notNull(),
    actorId: text(),
    actorKind: text(),
    actorEmail: text(),
    subjectId: text(),
    subjectKind: text(),
    subjectEmail: text(),
    at: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    clientAddress: text(),
    userAgent: text(),
    detail: jsonb().$type<Record<string, unknown>>().notNull(),
  },
  (table) => [
    primaryKey({ name: "audit_events_pkey", columns: [table.accountId, table.seq] }),
    // The trail's filters, each walked newest first like the list: the member as subject, and as the
    // actor of an event about someone else (most events are a user's own: actor and subject are one,
    // and the subject's index finds them); the action.
    index("audit_events_account_subject_seq_idx").on(table.accountId, table.subjectId, table.seq),
    index("audit_events_account_other_actor_seq_idx")
      .on(table.accountId, table.actorId, table.seq)
      .where(sql`actor_id is not null and actor_id is distinct from subject_id`),
    index("audit_events_account_type_seq_idx").on(table.accountId, table.type, table.seq),
  ],
);
