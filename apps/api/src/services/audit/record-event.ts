import { createId } from "../../crypto/tokens.js";
import type { Queryable } from "../../db/connect.js";
import { auditEvents } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import type { RequestMeta } from "../context.js";

export type AuditEventType =
  | "two_factor.setup_started"
  | "two_factor.enabled"
  | "two_factor.removed"
  | "two_factor.code_accepted"
  | "two_factor.code_rejected"
  | "two_factor.locked"
  | "member.invited"
  | "member.activated"
  | "member.status_changed"
  | "member.roles_changed"
  | "member.sso_changed"
  | "member.deleted"
  | "root.signed_up";

interface Party {
  id: string;
  kind: "root" | "member";
  email: string;
}

/** S8: every 2FA event with actor, subject, time and client address. */
export async function recordAuditEvent(
  q: Queryable,
  deps: Pick<Deps, "clock" | "random">,
  event: {
    accountId: string;
    type: AuditEventType;
    actor: Party | null;
    subject: Party | null;
    meta: RequestMeta;
    detail?: Record<string, unknown>;
  },
): Promise<void> {
  await q.insert(auditEvents).values({
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
    userAgent: event.meta.userAgent?.slice(0, 512) ?? null,
    detail: event.detail ?? {},
  });
}

export function partyOf(user: { id: string; kind: "root" | "member"; email: string }): Party {
  return { id: user.id, kind: user.kind, email: user.email };
}
