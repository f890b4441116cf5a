import { type SQL, sql } from "drizzle-orm";
import { sealSecret } from "../crypto/secret-box.js";
import { createId } from "../crypto/tokens.js";
import { type Queryable, queryRows } from "../db/connect.js";
import type { Deps } from "../deps.js";
import type { MailMessage } from "../mail/mailer.js";
import { type AuditEventInput, auditEventInsertWhen, recordAuditEvent } from "./audit/record-event.js";

type OutboxDeps = Pick<Deps, "clock" | "random" | "keys" | "outbox">;

/**
 * Mail is written to the outbox in the transaction that decides it and goes out from there
 * (mail/outbox-sender.ts): no answer waits for the mail server, and a committed change keeps its mail
 * across a stopped mail server or process. The message is sealed (S4) under the row's id.
 */
export function outboxInsertStatement(deps: OutboxDeps, messages: readonly MailMessage[]): SQL {
  return sql`insert into mail_outbox (id, sealed_message, attempts, next_attempt_at, created_at)
    values ${outboxRows(deps, messages)}`;
}

/**
 * `messages` queued only if `condition` (a query) has a row: S6, a write run alike whether or not
 * it happens (the mail is sealed either way), so its answer's work does not tell which.
 */
export function outboxInsertWhen(deps: OutboxDeps, messages: readonly MailMessage[], condition: SQL): SQL {
  return sql`insert into mail_outbox (id, sealed_message, attempts, next_attempt_at, created_at)
    select * from (values ${outboxRows(deps, messages)}) as queued where exists (${condition})`;
}

function outboxRows(deps: OutboxDeps, messages: readonly MailMessage[]): SQL {
  deps.outbox.noteQueued();
  const now = sql`${deps.clock.now().toISOString()}::timestamptz`;
  const rows = messages.map((message) => {
    const id = createId(deps.random, "mail");
    const sealed = sealSecret(deps.keys, deps.random, { plaintext: JSON.stringify(message), userId: id });
    return sql`(${id}, ${sealed}, 0, ${now}, ${now})`;
  });
  return sql.join(rows, sql`, `);
}

/** Queues `messages` in `q`, the deciding transaction where there is one. */
export async function enqueueMail(q: Queryable, deps: OutboxDeps, ...messages: MailMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await queryRows(q, outboxInsertStatement(deps, messages));
}

/**
 * Audit events and the mail they cause, in one statement (a code check's refusal: its notices must
 * not be lost between two autocommitted writes, and the hot path keeps its round trips).
 */
export async function recordAuditEventsWithMail(
  q: Queryable,
  deps: OutboxDeps,
  events: readonly AuditEventInput[],
  messages: readonly MailMessage[],
): Promise<void> {
  if (messages.length === 0) return recordAuditEvent(q, deps, ...events);
  await queryRows(q, auditEventsWithMailStatement(deps, events, messages));
}

/** The same as one statement, for a transaction that sends it itself (`inOneCommit`); at least one event. */
export function auditEventsWithMailStatement(
  deps: OutboxDeps,
  events: readonly AuditEventInput[],
  messages: readonly MailMessage[],
): SQL {
  const statements = events.map((event) => auditEventInsertWhen(deps, event, sql`select 1`));
  if (messages.length > 0) statements.push(outboxInsertStatement(deps, messages));
  const last = statements.pop();
  if (!last) throw new Error("auditEventsWithMailStatement: nothing to write");
  if (statements.length === 0) return last;
  const ctes = statements.map((statement, index) => sql`${sql.raw(`write${index}`)} as (${statement})`);
  return sql`with ${sql.join(ctes, sql`, `)} ${last}`;
}
