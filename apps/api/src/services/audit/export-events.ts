import { AUDIT_EXPORT_MAX_ROWS, type AuditFilter, type User } from "@cloud2fa/domain";
import type { Deps } from "../../deps.js";
import { authorizeTeamAction } from "../team/authorize.js";
import { toCsv } from "./csv.js";
import { auditEventView, selectAuditEvents } from "./filter.js";

export const AUDIT_CSV_HEADER = [
  "id",
  "at",
  "type",
  "actor_id",
  "actor_kind",
  "actor_email",
  "subject_id",
  "subject_kind",
  "subject_email",
  "client_address",
  "user_agent",
  "detail",
] as const;

/** The filtered trail as CSV, newest first, at most AUDIT_EXPORT_MAX_ROWS events (`isTruncated` says so). */
export async function exportAuditEvents({
  deps,
  actor,
  filter,
}: {
  deps: Deps;
  actor: User;
  filter: AuditFilter;
}): Promise<{ csv: string; isTruncated: boolean }> {
  authorizeTeamAction(actor, "readAudit");
  const rows = await selectAuditEvents(deps.db, {
    accountId: actor.accountId,
    filter,
    before: undefined,
    limit: AUDIT_EXPORT_MAX_ROWS + 1,
  });
  const lines = rows.slice(0, AUDIT_EXPORT_MAX_ROWS).map((row) => {
    const event = auditEventView(row);
    return [
      event.id,
      event.at,
      event.type,
      event.actor?.id ?? null,
      event.actor?.kind ?? null,
      event.actor?.email ?? null,
      event.subject?.id ?? null,
      event.subject?.kind ?? null,
      event.subject?.email ?? null,
      event.clientAddress,
      event.userAgent,
      JSON.stringify(event.detail),
    ];
  });
  return { csv: toCsv([AUDIT_CSV_HEADER, ...lines]), isTruncated: rows.length > AUDIT_EXPORT_MAX_ROWS };
}
