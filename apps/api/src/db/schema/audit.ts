import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { accounts } from "./users.js";

/** S8: actor and subject are copied, so the trail outlives a deleted member. */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigint({ mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    id: text().notNull().unique(),
    accountId: text()
      .notNull()
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
  (table) => [index("audit_events_account_seq_idx").on(table.accountId, table.seq)],
);
