import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { accounts, users } from "./users.js";

const at = () => timestamp({ withTimezone: true, mode: "date" });

/** §8.1: a team's credentials for other services (POST /api/introspect); only the secret's hash is kept. */
export const serviceCredentials = pgTable(
  "service_credentials",
  {
    id: text().primaryKey(),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text().notNull(),
    secretHash: text().notNull().unique(),
    createdBy: text().references(() => users.id, { onDelete: "set null" }),
    createdAt: at().notNull(),
    lastUsedAt: at(),
  },
  (table) => [index("service_credentials_account_idx").on(table.accountId)],
);
