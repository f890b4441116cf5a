import { sql } from "drizzle-orm";
import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const createdAt = () => timestamp({ withTimezone: true, mode: "date" }).notNull();

export const accounts = pgTable("accounts", {
  id: text().primaryKey(),
  allowMemberRecoveryCodes: boolean().notNull().default(false),
  /** Team policy: members (SSO members exempt) must enable 2FA, from `memberTwoFactorDeadline` on if set. */
  requireMemberTwoFactor: boolean().notNull().default(false),
  memberTwoFactorDeadline: timestamp({ withTimezone: true, mode: "date" }),
  createdAt: createdAt(),
});

export const users = pgTable(
  "users",
  {
    id: text().primaryKey(),
    accountId: text()
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    kind: text({ enum: ["root", "member"] }).notNull(),
    email: text().notNull(),
    emailNormalized: text().notNull(),
    passwordHash: text().notNull(),
    emailVerifiedAt: timestamp({ withTimezone: true, mode: "date" }),
    status: text({ enum: ["pending", "active", "disabled"] }).notNull(),
    roles: text().array().notNull().default(sql`'{}'::text[]`),
    isSso: boolean().notNull().default(false),
    remark: text().notNull().default(""),
    /**
     * S5, R2: raised by every change that ends the user's access (2FA enabled or removed, disabled):
     * a sign-in whose password check began before such a change opens nothing on the old state.
     */
    accessVersion: integer().notNull().default(0),
    /**
     * §6.2: a member activated before members chose their own password at activation still has its
     * inviter's: only GET /api/me, the password change and sign-out are open until it sets its own.
     */
    mustChangePassword: boolean().notNull().default(false),
    /** §7.2: the identity at the team's OpenID provider this SSO member is linked to (issuer, sub). */
    ssoIssuer: text(),
    ssoSubject: text(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("users_sso_identity_unique")
      .on(table.accountId, table.ssoIssuer, table.ssoSubject)
      .where(sql`${table.ssoSubject} is not null`),
    uniqueIndex("users_root_email_unique").on(table.emailNormalized).where(sql`${table.kind} = 'root'`),
    uniqueIndex("users_member_email_unique")
      .on(table.accountId, table.emailNormalized)
      .where(sql`${table.kind} = 'member'`),
    index("users_account_idx").on(table.accountId),
  ],
);

export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    id: text().primaryKey(),
    purpose: text({ enum: ["verify_email", "activate_member", "reset_password", "change_email"] }).notNull(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text().notNull().unique(),
    /**
     * S6: verify_email only — a pending sign-up, the password chosen with it. The address's links
     * activate whichever pending sign-up's password is typed on the page; verifying deletes them all.
     * §6.4 change_email: a fingerprint of the password hash it was asked with (a new password voids it).
     */
    passwordHash: text(),
    /** §6.4: change_email only — the address the link confirms. */
    newEmail: text(),
    expiresAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    consumedAt: timestamp({ withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  // S6: the pending sign-ups of an address are found by their user.
  (table) => [index("one_time_tokens_user_idx").on(table.userId, table.purpose)],
);

export const sessions = pgTable(
  "sessions",
  {
    id: text().primaryKey(),
    tokenHash: text().notNull().unique(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    lastSeenAt: timestamp({ withTimezone: true, mode: "date" }).notNull(),
    revokedAt: timestamp({ withTimezone: true, mode: "date" }),
    /** Step-up: when a valid code was last entered in this session (the sign-in code counts). */
    steppedUpAt: timestamp({ withTimezone: true, mode: "date" }),
    /** §8.2: the sign-in that opened this session passed a second factor (a code or a recovery code). */
    secondFactorPassed: boolean().notNull().default(false),
    /** §6.5: where the session was opened, for the "Where you're signed in" list (never the token). */
    clientAddress: text(),
    userAgent: text(),
  },
  (table) => [index("sessions_user_idx").on(table.userId)],
);
