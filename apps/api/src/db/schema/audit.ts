import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { accounts } from "./users.js";

/**
 * S8: actor and subject are copied, so the trail outlives a deleted member. Append-only: a trigger
 * (migration 0002) refuses UPDATE and DELETE of a row, and no code path writes anything but INSERT.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    id: text().notNull().unique(),
    accountId: text()
      .notNull()
      // The product never deletes an account; were one deleted, the append-only trigger refuses the cascade.
      .references(() => accounts.id, { onDelete: "cascade" }),
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
    index("audit_events_account_seq_idx").on(table.accountId, table.seq),
    // The trail's filters (member as subject or actor, action), each walked newest first like the list.
    index("audit_events_account_subject_seq_idx").on(table.accountId, table.subjectId, table.seq),
    index("audit_events_account_actor_seq_idx").on(table.accountId, table.actorId, table.seq),
    index("audit_events_account_type_seq_idx").on(table.accountId, table.type, table.seq),
  ],
);
