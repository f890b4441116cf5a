import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { auditEventInsertWhen } from "../services/audit/record-event.js";
import {
  chargeChallengeCtes,
  liveChallengeCtes,
  openSessionCtes,
} from "../services/auth/challenge-statements.js";
import { chargeCodeBudgetStatement } from "../services/limits/code-attempts.js";
import { chargeFactorStreakStatement, isFactorOpenFor } from "../services/two-factor/factor-streak.js";
import { createTestClock, createTestRandom, START } from "../test/harness.js";
import { textOf } from "./connect.js";
import { twoFactors } from "./schema/index.js";

// queryRows builds the hot paths' statements with textOf instead of Drizzle: same text, same parameters.
const drizzle = new PgDialect({ casing: "snake_case" });
const deps = { clock: createTestClock(), random: createTestRandom("statement-text") };
const party = { id: "usr_1", kind: "root" as const, email: "root@example.com" };

const hotPathStatements = {
  "the code step's charge": sql`with ${chargeChallengeCtes("chl_1", START)},
    streak as (${chargeFactorStreakStatement(sql`select user_id from budget`, START)}) select 1`,
  "the recovery step's charge": sql`with ${chargeChallengeCtes("chl_1", START, true)} select 1`,
  "a budget charge": chargeCodeBudgetStatement(sql`select ${"usr_1"}::text as user_id`, START),
  "a settling statement (the live challenge, the code, the session, the audit event)": sql`with ${liveChallengeCtes(
    { challengeId: "chl_1", userId: "usr_1", isOpen: isFactorOpenFor(false) },
  )}, consumed as (select user_id from live), ${openSessionCtes({
    challengeId: "chl_1",
    sessionId: "ses_1",
    tokenHash: "hash",
    now: START,
    meta: { clientAddress: "203.0.113.9", userAgent: "Mozilla/5.0" },
    audited: auditEventInsertWhen(
      deps,
      {
        accountId: "acc_1",
        type: "two_factor.code_accepted",
        actor: party,
        subject: party,
        meta: { clientAddress: "203.0.113.9", userAgent: null },
        detail: { purpose: "sign_in", nested: [1, { a: null }] },
      },
      sql`select 1 from session`,
    ),
  })} select count(*) from session where ${true} and ${null} is null and ${7} > 0`,
};

describe("textOf: Drizzle's text of plain sql templates, without Drizzle's builder", () => {
  for (const [name, statement] of Object.entries(hotPathStatements)) {
    it(`gives Drizzle's text and parameters for ${name}`, () => {
      const { sql: text, params } = drizzle.sqlToQuery(statement);
      expect(params.length).toBeGreaterThan(0);
      expect(textOf(statement)).toEqual({ sql: text, params });
    });
  }

  it("leaves to Drizzle what it does not build itself: columns, tables, arrays, dates, inlined params", () => {
    expect(textOf(sql`select ${twoFactors.userId} from two_factors`)).toBeUndefined();
    expect(textOf(sql`select 1 from ${twoFactors}`)).toBeUndefined();
    expect(textOf(sql`select 1 where 1 in ${[1, 2]}`)).toBeUndefined();
    expect(textOf(sql`select ${START}::timestamptz`)).toBeUndefined();
    expect(textOf(sql`select ${sql`${1}`.inlineParams()}`)).toBeUndefined();
  });
});
