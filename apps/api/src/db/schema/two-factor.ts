import { bigint, index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./users.js";

const userId = () =>
  text()
    .notNull()
    .references(() => users.id, { onDelete: "cascade" });
const at = () => timestamp({ withTimezone: true, mode: "date" });

export const twoFactors = pgTable("two_factors", {
  userId: userId().primaryKey(),
  method: text({ enum: ["totp", "email"] }).notNull(),
  secretCiphertext: text(),
  enabledAt: at().notNull(),
  lastAcceptedStep: bigint({ mode: "number" }),
  /** Hard cap: codes charged since the last accepted one (a charge counts as failed until a success resets it). */
  failedCodeStreak: integer().notNull().default(0),
  /** Set when the streak reaches the hard cap: no code opens anything until the root user removes the factor (member) or a recovery code is used (root user). */
  lockedAt: at(),
});

export const twoFactorSetups = pgTable("two_factor_setups", {
  userId: userId().primaryKey(),
  id: text().notNull().unique(),
  method: text({ enum: ["totp", "email"] }).notNull(),
  secretCiphertext: text(),
  expiresAt: at().notNull(),
  createdAt: at().notNull(),
});

export const emailCodes = pgTable(
  "email_codes",
  {
    id: text().primaryKey(),
    userId: userId(),
    purpose: text({ enum: ["sign_in", "setup", "action"] }).notNull(),
    bindingId: text().notNull(),
    keyId: text().notNull(),
    codeHash: text().notNull(),
    expiresAt: at().notNull(),
    consumedAt: at(),
    createdAt: at().notNull(),
  },
  (table) => [index("email_codes_binding_idx").on(table.bindingId)],
);

export const signInChallenges = pgTable(
  "sign_in_challenges",
  {
    id: text().primaryKey(),
    userId: userId(),
    method: text({ enum: ["totp", "email"] }).notNull(),
    expiresAt: at().notNull(),
    attemptCount: integer().notNull().default(0),
    consumedAt: at(),
    createdAt: at().notNull(),
  },
  (table) => [index("sign_in_challenges_user_idx").on(table.userId)],
);

export const codeAttemptBudgets = pgTable("code_attempt_budgets", {
  userId: userId().primaryKey(),
  count: integer().notNull().default(0),
  windowStartedAt: at(),
  lockedUntil: at(),
});

export const emailSendBudgets = pgTable("email_send_budgets", {
  userId: userId().primaryKey(),
  count: integer().notNull().default(0),
  windowStartedAt: at(),
  lastSentAt: at(),
});

export const passwordThrottles = pgTable("password_throttles", {
  key: text().primaryKey(),
  count: integer().notNull().default(0),
  windowStartedAt: at(),
});

/** One row per unused or used recovery code; removing the 2FA removes them (the foreign key). */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    id: text().primaryKey(),
    userId: text()
      .notNull()
      .references(() => twoFactors.userId, { onDelete: "cascade" }),
    keyId: text().notNull(),
    codeHash: text().notNull(),
    consumedAt: at(),
    createdAt: at().notNull(),
  },
  (table) => [index("recovery_codes_user_idx").on(table.userId)],
);
