import { AUDIT_EXPORT_MAX_ROWS, type AuditFilter, auditEventTypes } from "@cloud2fa/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { requireSession, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { exportAuditEvents } from "../services/audit/export-events.js";
import { listAuditEvents } from "../services/audit/list-events.js";
import { AuditEvent, errorResponses, Instant, jsonResponse, MemberId } from "./schemas.js";

// S8: the audit trail is read-only here: no route updates or deletes an event (the database refuses too).
const tags = ["Audit"];
const security = [{ session: [] }];
const middleware = requireSession;

const AuditType = z.enum(auditEventTypes);
const auditFilter = {
  member: MemberId.optional().openapi({ description: "Only events whose actor or subject is this member" }),
  type: z
    .union([AuditType, z.array(AuditType).min(1).max(auditEventTypes.length)])
    .optional()
    .openapi({ description: "Only events of this type; repeat the parameter for several" }),
  from: Instant.optional().openapi({ description: "Only events at or after this time (ISO 8601)" }),
  to: Instant.optional().openapi({ description: "Only events before this time (ISO 8601)" }),
};
function isFromBeforeTo(query: { from?: string | undefined; to?: string | undefined }) {
  return query.from === undefined || query.to === undefined || Date.parse(query.from) <= Date.parse(query.to);
}
const FROM_AFTER_TO = "expected from at or before to";

const audit = createRoute({
  method: "get",
  path: "/team/audit-events",
  tags,
  security,
  middleware,
  summary: "Audit events, newest first, filtered by member, type and time (root, administrators, auditors)",
  request: {
    query: z
      .strictObject({
        cursor: z
          .string()
          .regex(/^[0-9]{1,18}$/)
          .optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
        ...auditFilter,
      })
      .refine(isFromBeforeTo, FROM_AFTER_TO),
  },
  responses: {
    200: jsonResponse(z.object({ events: z.array(AuditEvent), nextCursor: z.string().nullable() }), "A page"),
    ...errorResponses,
  },
});

const auditExport = createRoute({
  method: "get",
  path: "/team/audit-events/export.csv",
  tags,
  security,
  middleware,
  summary: `The filtered audit events as CSV, newest first, at most ${AUDIT_EXPORT_MAX_ROWS.toLocaleString("en")} rows (root, administrators, auditors)`,
  description:
    "The same filters as the list. A header row, then one event a line (RFC 4180, CRLF, every cell quoted). " +
    "Against CSV injection a single quote goes before =, +, -, @, a tab or a carriage return (or their full-width " +
    "forms) at the start of a cell or after any , ; tab | or line break, spaces and quotes between. " +
    "`X-Export-Truncated: true` when more events matched than the bound.",
  request: { query: z.strictObject(auditFilter).refine(isFromBeforeTo, FROM_AFTER_TO) },
  responses: {
    200: {
      description: "An attachment: audit-events-YYYY-MM-DD.csv",
      content: { "text/csv": { schema: z.string() } },
    },
    ...errorResponses,
  },
});

function filterOf(query: {
  member?: string;
  type?: string | string[];
  from?: string;
  to?: string;
}): AuditFilter {
  const types = query.type === undefined ? undefined : [query.type].flat();
  return {
    memberId: query.member,
    types: types as AuditFilter["types"],
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
  };
}

export const auditRoutes = createRouter()
  .openapi(audit, async (c) => {
    const { cursor, limit, ...filter } = c.req.valid("query");
    const page = await listAuditEvents({
      deps: c.get("deps"),
      actor: sessionOf(c).user,
      filter: filterOf(filter),
      cursor: cursor === undefined ? undefined : Number(cursor),
      limit,
    });
    return c.json(page, 200);
  })
  .openapi(auditExport, async (c) => {
    const deps = c.get("deps");
    const { csv, isTruncated } = await exportAuditEvents({
      deps,
      actor: sessionOf(c).user,
      filter: filterOf(c.req.valid("query")),
    });
    const day = deps.clock.now().toISOString().slice(0, 10);
    return c.body(csv, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="audit-events-${day}.csv"`,
      "cache-control": "no-store",
      ...(isTruncated ? { "x-export-truncated": "true" } : {}),
    });
  });
