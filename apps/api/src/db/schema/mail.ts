import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const at = () => timestamp({ withTimezone: true, mode: "date" });

/**
 * Mail waiting to go out, written in the transaction that decides it. The message (recipient,
 * subject, text) is sealed like a TOTP secret (S4) with the row id as associated data, so a reader of
 * the database cannot take a live code from it; it is emptied once sent.
 */
export const mailOutbox = pgTable(
  "mail_outbox",
  {
    id: text().primaryKey(),
    sealedMessage: text(),
    attempts: integer().notNull().default(0),
    /** Due from then; a sender's claim moves it past its send deadline (a lease), a failure by the backoff. */
    nextAttemptAt: at().notNull(),
    sentAt: at(),
    /** Given up after the last attempt (the message is emptied too). */
    failedAt: at(),
    createdAt: at().notNull(),
  },
  (table) => [index("mail_outbox_due_idx").on(table.nextAttemptAt)],
);
