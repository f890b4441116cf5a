import { sql } from "drizzle-orm";
import type { KeyRing } from "../crypto/secret-box.js";
import { openSecret } from "../crypto/secret-box.js";
import { type Db, queryRows } from "../db/connect.js";
import type { Clock, Logger } from "../deps.js";
import type { Mailer, MailMessage } from "./mailer.js";

/** Every statement of the sender carries this mark (the hot-path test counts requests, not the sender). */
export const SENDER_MARK = "/* mail outbox sender */";

export interface OutboxSenderOptions {
  /** How often a sender looks for due mail on its own; null: only when woken or drained (tests). */
  pollIntervalInMs: number | null;
  /** A claimed row is another sender's again after this long: longer than any one send may take. */
  leaseInSeconds: number;
  batchSize: number;
  maxAttempts: number;
}

const DEFAULT_OPTIONS: OutboxSenderOptions = {
  pollIntervalInMs: 2_000,
  leaseInSeconds: 120,
  batchSize: 20,
  maxAttempts: 12,
};
const FIRST_RETRY_IN_SECONDS = 10;
const LONGEST_RETRY_IN_SECONDS = 30 * 60;
const SENT_ROWS_KEPT_IN_SECONDS = 24 * 60 * 60;
const PRUNE_EVERY_IN_SECONDS = 60 * 60;

export interface OutboxSender {
  /** Look for due mail soon (after a request that queued some). */
  wake(): void;
  /** Mail queued outside a request is found by the next poll or drain. */
  noteQueued(): void;
  /** Resolves once every mail due when it was called has been tried (sent, or put back for later). */
  drain(): Promise<void>;
  /** No more polling; resolves after a last drain (graceful shutdown: what cannot go out stays queued). */
  stop(): Promise<void>;
}

interface ClaimedRow {
  id: string;
  sealed_message: string | null;
  attempts: number;
}

const secondsAfter = (at: Date, seconds: number) => new Date(at.getTime() + seconds * 1000).toISOString();

/** The backoff before attempt n+1: 10 s, 20 s, 40 s … at most 30 minutes. */
export function retryDelayInSeconds(attempts: number): number {
  return Math.min(FIRST_RETRY_IN_SECONDS * 2 ** Math.max(0, attempts - 1), LONGEST_RETRY_IN_SECONDS);
}

/**
 * One per API process. A claim is one statement (`FOR UPDATE SKIP LOCKED`) that moves the rows' due
 * time past the lease, so no other sender — in this process or another — takes them while they are
 * being sent; a sender that dies mid-send leaves them due again after the lease. Sent rows are emptied
 * at once and deleted after a day.
 */
export function startOutboxSender(
  deps: { db: Db; mailer: Mailer; keys: KeyRing; clock: Clock; logger: Logger },
  overrides: Partial<OutboxSenderOptions> = {},
): OutboxSender {
  const options = { ...DEFAULT_OPTIONS, ...overrides };
  let running: Promise<void> | null = null;
  let isAgain = false;
  let isStopped = false;
  let prunedAt: Date | null = null;

  async function claim(now: Date): Promise<ClaimedRow[]> {
    return queryRows<ClaimedRow>(
      deps.db,
      sql.raw(SENDER_MARK).append(sql`
      update mail_outbox set attempts = attempts + 1,
        next_attempt_at = ${secondsAfter(now, options.leaseInSeconds)}::timestamptz
      where id in (
        select id from mail_outbox
        where sent_at is null and failed_at is null and next_attempt_at <= ${now.toISOString()}::timestamptz
        order by next_attempt_at limit ${options.batchSize}
        for update skip locked)
      returning id, sealed_message, attempts`),
    );
  }

  async function deliver(row: ClaimedRow): Promise<"sent" | "retry" | "failed"> {
    const opened = row.sealed_message
      ? openSecret(deps.keys, { sealed: row.sealed_message, userId: row.id })
      : null;
    if (!opened) {
      deps.logger.error("queued mail cannot be opened (a key no longer configured?)", { mailId: row.id });
      return "failed";
    }
    try {
      await deps.mailer.send(JSON.parse(opened) as MailMessage);
      return "sent";
    } catch (error) {
      // Issue 13: the mail's id and the error only, never its subject or text (codes, links).
      const isLast = row.attempts >= options.maxAttempts;
      deps.logger.error(isLast ? "mail delivery failed, given up" : "mail delivery failed, will retry", {
        mailId: row.id,
        attempts: row.attempts,
        error: String(error),
      });
      return isLast ? "failed" : "retry";
    }
  }

  async function settle(row: ClaimedRow, outcome: "sent" | "retry" | "failed"): Promise<void> {
    const now = deps.clock.now();
    const at = sql`${now.toISOString()}::timestamptz`;
    const change =
      outcome === "sent"
        ? sql`sent_at = ${at}, sealed_message = null`
        : outcome === "failed"
          ? sql`failed_at = ${at}, sealed_message = null`
          : sql`next_attempt_at = ${secondsAfter(now, retryDelayInSeconds(row.attempts))}::timestamptz`;
    await queryRows(
      deps.db,
      sql.raw(SENDER_MARK).append(sql` update mail_outbox set ${change} where id = ${row.id}`),
    );
  }

  async function prune(now: Date): Promise<void> {
    if (prunedAt && now.getTime() - prunedAt.getTime() < PRUNE_EVERY_IN_SECONDS * 1000) return;
    prunedAt = now;
    const before = secondsAfter(now, -SENT_ROWS_KEPT_IN_SECONDS);
    await queryRows(
      deps.db,
      sql.raw(SENDER_MARK).append(sql`
      delete from mail_outbox where (sent_at < ${before}::timestamptz or failed_at < ${before}::timestamptz)`),
    );
  }

  async function pass(): Promise<void> {
    await prune(deps.clock.now());
    for (;;) {
      const rows = await claim(deps.clock.now());
      if (rows.length === 0) return;
      await Promise.all(rows.map(async (row) => settle(row, await deliver(row))));
    }
  }

  function drain(): Promise<void> {
    if (running) {
      isAgain = true;
      return running;
    }
    running = (async () => {
      do {
        isAgain = false;
        try {
          await pass();
        } catch (error) {
          // The database is away: the rows stay queued, and the next wake or poll tries again.
          deps.logger.warn("mail outbox not reachable", { error: String(error) });
          return;
        }
      } while (isAgain);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  const timer =
    options.pollIntervalInMs === null
      ? null
      : setInterval(() => {
          if (!isStopped) void drain();
        }, options.pollIntervalInMs);
  timer?.unref();

  return {
    wake() {
      if (!isStopped) void drain();
    },
    noteQueued() {},
    drain,
    async stop() {
      isStopped = true;
      if (timer) clearInterval(timer);
      await drain();
    },
  };
}
