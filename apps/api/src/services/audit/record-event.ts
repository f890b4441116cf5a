import type { AuditEventType } from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { createId } from "../../crypto/tokens.js";
import type { Queryable } from "../../db/connect.js";
import { auditEvents } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { USER_AGENT_MAX_LENGTH } from "../../http/user-agent.js";
import type { RequestMeta } from "../context.js";

export type { AuditEventType };

interface Party {
  id: string;
  kind: "root" | "member";
  email: string;
}

export interface AuditEventInput {
  accountId: string;
  type: AuditEventType;
  actor: Party | null;
  subject: Party | null;
  meta: RequestMeta;
  detail?: Record<string, unknown>;
}

function auditRow(deps: Pick<Deps, "clock" | "random">, event: AuditEventInput) {
  return {
    id: createId(deps.random, "evt"),
    accountId: event.accountId,
    type: event.type,
    actorId: event.actor?.id ?? null,
    actorKind: event.actor?.kind ?? null,
    actorEmail: event.actor?.email ?? null,
    subjectId: event.subject?.id ?? null,
    subjectKind: event.subject?.kind ?? null,
    subjectEmail: event.subject?.email ?? null,
    at: deps.clock.now(),
    clientAddress: event.meta.clientAddress,
    userAgent: event.meta.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
    detail: event.detail ?? {},
  };
}

/** S8: every 2FA event with actor, subject, time and client address. */
export async function recordAuditEvent(
  q: Queryable,
  deps: Pick<Deps, "clock" | "random">,
  ...events: AuditEventInput[]
): Promise<void> {
  if (events.length === 0) return;
  await q.insert(auditEvents).values(events.map((event) => auditRow(deps, event)));
}

/** The same event as a statement for a CTE, written only when `condition` (a query) has a row. */
export function auditEventInsertWhen(
  deps: Pick<Deps, "clock" | "random">,
  event: AuditEventInput,
  condition: SQL,
): SQL {
  const row = auditRow(deps, event);
  return sql`insert into audit_events
      (id, account_id, type, actor_id, actor_kind, actor_email, subject_id, subject_kind, subject_email,
       at, client_address, user_agent, detail)
    select ${row.id}, ${row.accountId}, ${row.type}, ${row.actorId}, ${row.actorKind}, ${row.actorEmail},
      ${row.subjectId}, ${row.subjectKind}, ${row.subjectEmail}, ${row.at.toISOString()}::timestamptz, ${row.clientAddress},
      ${row.userAgent}, ${JSON.stringify(row.detail)}::jsonb
    where exists (${condition})`;
}

export function partyOf(user: { id: string; kind: "root" | "member"; email: string }): Party {
  return { id: user.id, kind: user.kind, email: user.email };
}

/** Events a user causes about itself (sign-in codes, recovery codes): actor and subject are the same party. */
export function selfAuditOf(input: {
  accountId: string;
  party: Party;
  meta: RequestMeta;
}): (type: AuditEventType, detail: Record<string, unknown>) => AuditEventInput {
  return (type, detail) => ({
    accountId: input.accountId,
    type,
    actor: input.party,
    subject: input.party,
    meta: input.meta,
    detail,
  });
}
