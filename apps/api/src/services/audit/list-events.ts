import type { AuditFilter, User } from "@cloud2fa/domain";
import type { Deps } from "../../deps.js";
import { describeUserAgent } from "../../http/user-agent.js";
import { authorizeTeamAction } from "../team/authorize.js";
import { auditEventView, selectAuditEvents } from "./filter.js";

/** Newest first; the cursor is the position of the last event returned. */
export async function listAuditEvents({
  deps,
  actor,
  filter,
  cursor,
  limit,
}: {
  deps: Deps;
  actor: User;
  filter: AuditFilter;
  cursor: number | undefined;
  limit: number;
}) {
  authorizeTeamAction(actor, "readAudit");
  const rows = await selectAuditEvents(deps.db, {
    accountId: actor.accountId,
    filter,
    before: cursor,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    // The browser and OS for the page; the raw User-Agent stays for the detail view.
    events: page.map((row) => ({ ...auditEventView(row), ...describeUserAgent(row.userAgent) })),
    nextCursor: rows.length > limit && last ? String(last.seq) : null,
  };
}
