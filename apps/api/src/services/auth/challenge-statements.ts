import { MAX_WRONG_CODES_PER_CHALLENGE } from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import type { RequestMeta } from "../context.js";
import { chargeCodeBudgetStatement } from "../limits/code-attempts.js";
import { sessionOrigin } from "./sessions.js";

// The parts of the sign-in statements that the code step and the recovery-code step share.

/**
 * S3 before the check, as the CTEs `challenge` (its attempt, at most 5, while it lives) and then
 * `budget` (the user's); select from `challenge` joined to `users u`. Hard cap: nothing is charged
 * while the factor is locked (with `rootMayRecover`, a root user's recovery code still is). The
 * factor's row is locked first, the order in which the settling statements take factor, challenge
 * and budget, so concurrent sign-ins cannot deadlock.
 */
export function chargeChallengeCtes(
  challengeId: string,
  now: Date,
  rootMayRecover = false,
  /** S4 rotation: a factor that must pass this (its secret's key is configured) is charged. */
  isFactorCheckable: SQL = sql`true`,
): SQL {
  const isOpen = rootMayRecover
    ? sql`(f.locked_at is null or exists (select 1 from users r where r.id = f.user_id and r.kind = 'root'))`
    : sql`f.locked_at is null`;
  return sql`open_factor as materialized (
      select f.user_id from two_factors f
      where f.user_id = (select c.user_id from sign_in_challenges c where c.id = ${challengeId}) and ${isOpen}
        and ${isFactorCheckable}
      for update of f
    ), challenge as (
      update sign_in_challenges set attempt_count = attempt_count + 1
      where id = ${challengeId} and consumed_at is null and expires_at > ${now.toISOString()}::timestamptz
        and attempt_count < ${MAX_WRONG_CODES_PER_CHALLENGE} and user_id in (select user_id from open_factor)
      returning user_id, method, attempt_count
    ), budget as (${chargeCodeBudgetStatement(sql`select user_id from challenge`, now)})`;
}

/**
 * S2: the settling statement's first CTEs, `factor` (open, by `isOpen`) and then `live` (the
 * challenge, not consumed), row-locked in the charge's order. Every CTE that consumes a code selects
 * from `live`: a concurrent settle of the same challenge waits here, then finds it consumed, and
 * its code stays unused (PostgreSQL runs every data-modifying CTE, whatever the others found).
 */
export function liveChallengeCtes(input: { challengeId: string; userId: string; isOpen: SQL }): SQL {
  return sql`factor as materialized (
      select user_id from two_factors where user_id = ${input.userId} and ${input.isOpen} for update
    ), live as materialized (
      select user_id from sign_in_challenges
      where id = ${input.challengeId} and consumed_at is null and user_id in (select user_id from factor)
      for update
    )`;
}

/** What the notices of a member's sign-in need: the root user's address (for `users u`). */
export const rootEmailColumn = sql`case when u.kind = 'member' then (select r.email from users r
    where r.account_id = u.account_id and r.kind = 'root' limit 1) end as "rootEmail"`;

/**
 * After a CTE `consumed` (the code, step or recovery code, taken once): consume the challenge, then
 * create the session, reset the budget and audit — each only if the one before it happened. The
 * statement then selects from `session`. The code just entered counts as a step-up (stepped_up_at) and as the session's second factor (§8.2).
 */
export function openSessionCtes(input: {
  challengeId: string;
  sessionId: string;
  tokenHash: string;
  now: Date;
  meta: RequestMeta;
  audited: SQL;
}): SQL {
  const at = sql`${input.now.toISOString()}::timestamptz`;
  const { clientAddress, userAgent } = sessionOrigin(input.meta);
  return sql`challenge as (
      update sign_in_challenges set consumed_at = ${at}
      where id = ${input.challengeId} and consumed_at is null and user_id in (select user_id from consumed)
      returning user_id
    ), session as (
      insert into sessions (id, token_hash, user_id, created_at, last_seen_at, stepped_up_at, second_factor_passed, client_address, user_agent)
      select ${input.sessionId}, ${input.tokenHash}, user_id, ${at}, ${at}, ${at}, true, ${clientAddress}, ${userAgent}
      from challenge
      returning user_id
    ), reset as (
      update code_attempt_budgets set count = 0, window_started_at = null, locked_until = null
      where user_id in (select user_id from session)
    ), audited as (${input.audited})`;
}
