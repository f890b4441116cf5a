import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { accounts, sessions } from "./users.js";

/** §7.1: a team's OpenID Connect provider; the client secret sealed (S4) with the account id as associated data. */
export const teamSso = pgTable("team_sso", {
  accountId: text()
    .primaryKey()
    .references(() => accounts.id, { onDelete: "cascade" }),
  issuer: text().notNull(),
  clientId: text().notNull(),
  clientSecretCiphertext: text().notNull(),
  allowedDomains: text().array().notNull().default(sql`'{}'::text[]`),
  jitEnabled: boolean().notNull().default(false),
  jitRoles: text().array().notNull().default(sql`'{}'::text[]`),
  enabled: boolean().notNull().default(false),
  updatedAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
});

/**
 * §7.2: one SSO sign-in under way: state (hashed), nonce and PKCE verifier kept server-side, single
 * use, bound to the team, its issuer at the start, and the browser (the hash of a SameSite=Lax cookie).
 */
export const ssoSignIns = pgTable(
  "sso_sign_ins",
  {
    id: text().primaryKey(),
    stateHash: text().notNull().unique(),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    issuer: text().notNull(),
    browserBindingHash: text().notNull(),
    nonce: text().notNull(),
    codeVerifier: text().notNull(),
    /** §7.3: a step-up of this session (prompt=login, max_age=0) rather than a sign-in. */
    stepUpSessionId: text().references(() => sessions.id, { onDelete: "cascade" }),
    /** Where the member portal goes back to afterwards (a path under /member/). */
    returnPath: text().notNull(),
    expiresAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    consumedAt: timestamp({ withTimezone: true, mode: "date" }),
    createdAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
  },
  (table) => [index("sso_sign_ins_expires_idx").on(table.expiresAt)],
);
