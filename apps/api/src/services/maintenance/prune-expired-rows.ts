import {
  addSeconds,
  EMAIL_RESEND_COOLDOWN_IN_SECONDS,
  EMAIL_SEND_WINDOW_IN_SECONDS,
  PASSWORD_FAILURE_WINDOW_IN_SECONDS,
  SIGN_UP_WINDOW_IN_SECONDS,
  WRONG_CODE_WINDOW_IN_SECONDS,
} from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { queryRows } from "../../db/connect.js";
import type { Deps } from "../../deps.js";

/**
 * Every window kept in `password_throttles` (sign-in and setup keys: 15 minutes; sign-up keys: an
 * hour). A row older than the longest decides nothing: its next charge starts a new window, as a
 * missing row's does. A key with a longer window must raise this.
 */
const THROTTLE_RETENTION_IN_SECONDS = Math.max(PASSWORD_FAILURE_WINDOW_IN_SECONDS, SIGN_UP_WINDOW_IN_SECONDS);

const BATCH_SIZE = 1000;
/** Per table and run, so one run stays short; what is left goes at the next run. */
const MAX_BATCHES_PER_RUN = 20;

interface PruneTarget {
  table: string;
  key: string;
  /** Over the table's own columns: true only for a row that no rule reads any more. */
  isDead: SQL;
}

function targetsAt(now: Date, settings: Deps["settings"]): PruneTarget[] {
  const at = (date: Date) => sql`${date.toISOString()}::timestamptz`;
  const ago = (seconds: number) => at(addSeconds(now, -seconds));
  return [
    {
      table: "password_throttles",
      key: "key",
      isDead: sql`(window_started_at is null or window_started_at <= ${ago(THROTTLE_RETENTION_IN_SECONDS)})`,
    },
    // A spent or expired link answers INVALID_TOKEN, as a missing one does.
    {
      table: "one_time_tokens",
      key: "id",
      isDead: sql`(consumed_at is not null or expires_at <= ${at(now)})`,
    },
    // An expired challenge answers CHALLENGE_EXPIRED, as a missing one does; its codes died with it (S1).
    { table: "sign_in_challenges", key: "id", isDead: sql`expires_at <= ${at(now)}` },
    { table: "email_codes", key: "id", isDead: sql`expires_at <= ${at(now)}` },
    { table: "two_factor_setups", key: "user_id", isDead: sql`expires_at <= ${at(now)}` },
    // §7.2: a used or expired SSO sign-in state answers SSO_STATE_INVALID, as a missing one does.
    {
      table: "sso_sign_ins",
      key: "id",
      isDead: sql`(consumed_at is not null or expires_at <= ${at(now)})`,
    },
    // S5: domain isSessionLive, negated.
    {
      table: "sessions",
      key: "id",
      isDead: sql`(revoked_at is not null or created_at <= ${ago(settings.sessionTtlInHours * 3600)}
        or last_seen_at <= ${ago(settings.sessionIdleInMinutes * 60)})`,
    },
    // S3: a budget whose window and lock are over charges like a missing one.
    {
      table: "code_attempt_budgets",
      key: "user_id",
      isDead: sql`(window_started_at is null or window_started_at <= ${ago(WRONG_CODE_WINDOW_IN_SECONDS)})
        and (locked_until is null or locked_until <= ${at(now)})`,
    },
    {
      table: "email_send_budgets",
      key: "user_id",
      isDead: sql`(window_started_at is null or window_started_at <= ${ago(EMAIL_SEND_WINDOW_IN_SECONDS)})
        and (last_sent_at is null or last_sent_at <= ${ago(EMAIL_RESEND_COOLDOWN_IN_SECONDS)})`,
    },
  ];
}

/**
 * One bounded batch. Rows a request holds are skipped, not waited for, so processes pruning at once
 * take disjoint batches; the condition is checked again on the row as deleted (a charge that renewed
 * it meanwhile keeps it).
 */
function deleteBatchStatement(target: PruneTarget): SQL {
  const table = sql.identifier(target.table);
  const key = sql.identifier(target.key);
  return sql`with doomed as (
      select ${key} from ${table} where ${target.isDead} limit ${BATCH_SIZE} for update skip locked
    ), deleted as (
      delete from ${table} where ${key} in (select ${key} from doomed) and ${target.isDead} returning 1
    )
    select count(*)::int as count from deleted`;
}

export type PruneReport = Record<string, number>;

/**
 * Issue 13 item 12: delete the rows of the rules' tables that no rule reads any more (expired or
 * spent), so a stream of unknown addresses or abandoned sign-ins cannot grow them without bound.
 * Audit events are kept forever; mail has its own table and owner.
 */
export async function pruneExpiredRows(deps: Pick<Deps, "db" | "clock" | "settings">): Promise<PruneReport> {
  const report: PruneReport = {};
  for (const target of targetsAt(deps.clock.now(), deps.settings)) {
    let deleted = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const [row] = await queryRows<{ count: number }>(deps.db, deleteBatchStatement(target));
      const count = row?.count ?? 0;
      deleted += count;
      if (count < BATCH_SIZE) break;
    }
    if (deleted > 0) report[target.table] = deleted;
  }
  return report;
}
