import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "./db/connect.js";
import { AUDIT_CSV_HEADER } from "./services/audit/export-events.js";
import { recordAuditEvent } from "./services/audit/record-event.js";
import { testDatabaseKind } from "./test/database.js";
import { call, createMember, createRoot, PASSWORD, useTestApp } from "./test/harness.js";

const context = useTestApp();

interface AuditEvent {
  id: string;
  type: string;
  actor: { id: string } | null;
  subject: { id: string } | null;
  at: string;
  clientAddress: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}

type Root = Awaited<ReturnType<typeof createRoot>>;

const HEADER = `${AUDIT_CSV_HEADER.map((name) => `"${name}"`).join(",")}\r\n`;

/** The first cell of a CSV line whose first cell holds no comma or quote (an event id). */
const firstCell = (line: string) => line.split(",")[0]?.replaceAll('"', "");

async function eventsOf(cookie: string, query = ""): Promise<AuditEvent[]> {
  const page = await call(context, "GET", `/api/team/audit-events?limit=100${query}`, { cookie });
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  expect(page.body.nextCursor).toBeNull();
  return page.body.events;
}

/** Every page of a filtered list, `limit` events at a time. */
async function pagesOf(cookie: string, query: string, limit: number): Promise<AuditEvent[]> {
  const seen: AuditEvent[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const at: string = cursor === null ? "" : `&cursor=${cursor}`;
    const page = await call(context, "GET", `/api/team/audit-events?limit=${limit}${query}${at}`, { cookie });
    expect(page.status).toBe(200);
    expect(page.body.events.length).toBeLessThanOrEqual(limit);
    seen.push(...page.body.events);
    cursor = page.body.nextCursor;
    if (cursor === null) return seen;
  }
  throw new Error("too many pages");
}

function exportOf(cookie: string, query = "") {
  return call(context, "GET", `/api/team/audit-events/export.csv${query ? `?${query}` : ""}`, { cookie });
}

/** A team with two members and events spread over time: invitations, status changes, a 2FA setup. */
async function busyTeam() {
  const root = await createRoot(context);
  context.clock.advance(60);
  const alice = await createMember(context, root, { roles: ["auditor"] });
  context.clock.advance(60);
  const bob = await createMember(context, root, { roles: ["administrator"] });
  for (const status of ["disabled", "active", "disabled", "active"]) {
    context.clock.advance(60);
    const changed = await call(context, "PATCH", `/api/team/members/${alice.id}`, {
      cookie: bob.cookie,
      body: { status },
    });
    expect(changed.status).toBe(200);
  }
  context.clock.advance(60);
  const started = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie: root.cookie,
    body: { method: "totp", password: PASSWORD },
  });
  expect(started.status).toBe(200);
  return { root, alice, bob, all: await eventsOf(root.cookie) };
}

const involves = (memberId: string) => (event: AuditEvent) =>
  event.actor?.id === memberId || event.subject?.id === memberId;

describe("S8 the audit trail is append-only, in the database too", () => {
  it(`S8 UPDATE and DELETE of an event are refused by the database (${testDatabaseKind()})`, async () => {
    const root = await createRoot(context);
    const before = await eventsOf(root.cookie);
    expect(before.length).toBeGreaterThan(0);
    const db = context.database.db;
    await expect(db.execute(sql`update audit_events set type = 'member.deleted'`)).rejects.toThrow();
    await expect(
      db.execute(sql`update audit_events set detail = '{}'::jsonb where id = ${before[0]?.id}`),
    ).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_events`)).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_events where id = ${before[0]?.id}`)).rejects.toThrow();
    expect(await eventsOf(root.cookie)).toEqual(before);
  });

  it("S8 the refusal names the rule, and deleting an account leaves every event of its trail", async () => {
    const root = await createRoot(context);
    const refused = await context.database.db.execute(sql`delete from audit_events`).then(
      () => "",
      (error: Error & { cause?: Error }) => `${error.message} ${error.cause?.message ?? ""}`,
    );
    expect(refused).toMatch(/append-only/);
    const before = await eventsOf(root.cookie);
    expect(before.length).toBeGreaterThan(0);
    // Issue 18: the trail has no foreign key to the account (its check locked the account row at every
    // event), so an account's deletion reaches nothing in it: the product never deletes one, and if a
    // database operator does, every event stays.
    await context.database.db.execute(sql`delete from accounts where id = ${root.accountId}`);
    const kept = await queryRows<{ id: string }>(
      context.database.db,
      sql`select id from audit_events where account_id = ${root.accountId} order by seq desc`,
    );
    expect(kept.map((row) => row.id)).toEqual(before.map((event) => event.id));
  });

  it("S8 inserting stays open: recording an event still works", async () => {
    const root = await createRoot(context);
    await recordAuditEvent(context.database.db, context.deps, {
      accountId: root.accountId,
      type: "member.deleted",
      actor: null,
      subject: null,
      meta: { clientAddress: null, userAgent: null },
    });
    expect((await eventsOf(root.cookie)).some((event) => event.type === "member.deleted")).toBe(true);
  });

  it("S8 no route changes or deletes an event", async () => {
    const root = await createRoot(context);
    const [event] = await eventsOf(root.cookie);
    for (const method of ["PUT", "PATCH", "DELETE", "POST"]) {
      for (const path of ["/api/team/audit-events", `/api/team/audit-events/${event?.id}`]) {
        const response = await call(context, method, path, { cookie: root.cookie, body: {} });
        expect(response.status, `${method} ${path}`).toBe(404);
      }
    }
    const document = await call(context, "GET", "/api/openapi.json");
    const auditPaths = Object.entries(document.body.paths as Record<string, object>).filter(([path]) =>
      path.includes("audit"),
    );
    for (const [, operations] of auditPaths) expect(Object.keys(operations)).toEqual(["get"]);
  });
});

describe("S8 filtering the audit trail", () => {
  it("S8 by member: events whose actor or subject is the member", async () => {
    const { root, alice, bob, all } = await busyTeam();
    for (const member of [alice, bob]) {
      const filtered = await eventsOf(root.cookie, `&member=${member.id}`);
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered).toEqual(all.filter(involves(member.id)));
    }
    const asActor = (await eventsOf(root.cookie, `&member=${bob.id}`)).filter(
      (event) => event.subject?.id === alice.id,
    );
    expect(asActor).toHaveLength(4);
  });

  it("S8 by action: one type, or several", async () => {
    const { root, all } = await busyTeam();
    const changed = await eventsOf(root.cookie, "&type=member.status_changed");
    expect(changed).toHaveLength(4);
    expect(changed).toEqual(all.filter((event) => event.type === "member.status_changed"));
    const several = await eventsOf(root.cookie, "&type=member.invited&type=two_factor.setup_started");
    expect(several.map((event) => event.type).sort()).toEqual([
      "member.invited",
      "member.invited",
      "two_factor.setup_started",
    ]);
    expect(several).toEqual(
      all.filter((event) => ["member.invited", "two_factor.setup_started"].includes(event.type)),
    );
    expect(await eventsOf(root.cookie, "&type=two_factor.removed")).toEqual([]);
  });

  it("S8 by time: from is inclusive, to is exclusive, either alone", async () => {
    const { root, all } = await busyTeam();
    const changes = all.filter((event) => event.type === "member.status_changed");
    const [newest, , , oldest] = changes.map((event) => event.at);
    const between = await eventsOf(root.cookie, `&from=${oldest}&to=${newest}`);
    expect(between).toEqual(all.filter((event) => event.at >= String(oldest) && event.at < String(newest)));
    expect(between.filter((event) => event.type === "member.status_changed")).toHaveLength(3);
    expect(await eventsOf(root.cookie, `&from=${newest}`)).toEqual(
      all.filter((event) => event.at >= String(newest)),
    );
    expect(await eventsOf(root.cookie, `&to=${oldest}`)).toEqual(
      all.filter((event) => event.at < String(oldest)),
    );
    const offset = new Date(String(newest)).getTime() + 2 * 3600_000;
    const inParis = new Date(offset).toISOString().replace("Z", "+02:00");
    expect(await eventsOf(root.cookie, `&from=${encodeURIComponent(inParis)}`)).toEqual(
      all.filter((event) => event.at >= String(newest)),
    );
    expect(await eventsOf(root.cookie, `&from=${newest}&to=${newest}`)).toEqual([]);
  });

  it("S8 filters combine, and pagination walks the filtered trail without gaps or repeats", async () => {
    const { root, alice, all } = await busyTeam();
    const changes = all.filter((event) => event.type === "member.status_changed");
    const query = `&member=${alice.id}&type=member.status_changed&type=member.activated&to=${changes[0]?.at}`;
    const expected = all.filter(
      (event) =>
        involves(alice.id)(event) &&
        ["member.status_changed", "member.activated"].includes(event.type) &&
        event.at < String(changes[0]?.at),
    );
    expect(expected).toHaveLength(4);
    expect(await eventsOf(root.cookie, query)).toEqual(expected);
    expect(await pagesOf(root.cookie, query, 1)).toEqual(expected);
    expect(await pagesOf(root.cookie, query, 3)).toEqual(expected);
    expect(await pagesOf(root.cookie, `&member=${alice.id}`, 2)).toEqual(all.filter(involves(alice.id)));
  });
});

describe("S8 the CSV export", () => {
  it("S8 a header row, then every event newest first, as an attachment", async () => {
    const { root, all } = await busyTeam();
    const response = await exportOf(root.cookie);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="audit-events-2026-03-02.csv"',
    );
    expect(response.headers.get("x-export-truncated")).toBeNull();
    const lines = (response.body as string).split("\r\n");
    expect(`${lines[0]}\r\n`).toBe(HEADER);
    expect(lines.at(-1)).toBe("");
    expect(lines).toHaveLength(all.length + 2);
    expect(lines.slice(1, -1).map(firstCell)).toEqual(all.map((event) => event.id));
  });

  it("S8 exact cells: every cell quoted, quotes doubled, formulas neutralized", async () => {
    const root = await createRoot(context);
    const at = context.clock.now().toISOString();
    const record = (id: string, userAgent: string, detail: Record<string, unknown> = {}) =>
      recordAuditEvent(context.database.db, context.deps, {
        accountId: root.accountId,
        type: "member.deleted",
        actor: { id: root.id, kind: "root", email: root.email },
        subject: { id, kind: "member", email: "a@example.com" },
        meta: { clientAddress: "203.0.113.9", userAgent },
        detail,
      });
    await record("mem_1", '=HYPERLINK("http://evil.example","click")');
    await record("mem_2", "+1,2", { note: 'say "hi"\nbye' });
    await record("mem_3", "-2+3\r\nline");
    await record("mem_4", "@SUM(A1)");
    await record("mem_5", "\tTab");
    await record("mem_6", "plain agent 1.0");
    const response = await exportOf(root.cookie, "type=member.deleted");
    expect(response.status).toBe(200);
    const rows = (await eventsOf(root.cookie, "&type=member.deleted")).map((event) => event.id);
    const prefix = (index: number, subject: string) =>
      `"${rows[index]}","${at}","member.deleted","${root.id}","root","${root.email}","${subject}","member","a@example.com","203.0.113.9",`;
    expect(response.body).toBe(
      HEADER +
        `${prefix(0, "mem_6")}"plain agent 1.0","{}"\r\n` +
        `${prefix(1, "mem_5")}"'\tTab","{}"\r\n` +
        `${prefix(2, "mem_4")}"'@SUM(A1)","{}"\r\n` +
        `${prefix(3, "mem_3")}"'-2+3\r\nline","{}"\r\n` +
        `${prefix(4, "mem_2")}"'+1,2","{""note"":""say \\""hi\\""\\nbye""}"\r\n` +
        `${prefix(5, "mem_1")}"'=HYPERLINK(""http://evil.example"",""click"")","{}"\r\n`,
    );
  });

  it("S8 CSV formula guard bypassed with `;`: no fragment a spreadsheet may split off starts a formula", async () => {
    const root = await createRoot(context);
    const agents = [
      'Mozilla/5.0;=HYPERLINK("http://evil.example","click")',
      "Mozilla/5.0; =1+2",
      'Mozilla/5.0;"=1+2"',
      "a|=cmd|' /C calc'!A0",
      "a\t@SUM(A1)",
      "a\n-2+3",
      "a,+1",
      "\uFF1D1+1;\uFF0B1;\uFF0D1;\uFF20SUM(A1)",
      "\uFE661+1",
    ];
    for (const [index, userAgent] of agents.entries()) {
      await recordAuditEvent(context.database.db, context.deps, {
        accountId: root.accountId,
        type: "member.deleted",
        actor: null,
        subject: { id: `mem_${index}`, kind: "member", email: "a@example.com" },
        meta: { clientAddress: null, userAgent },
        detail: { note: userAgent },
      });
    }
    const response = await exportOf(root.cookie, "type=member.deleted");
    expect(response.status).toBe(200);
    const csv = response.body as string;
    // Split as a spreadsheet might, on any separator, quotes ignored; each fragment without the spaces and
    // quotes it may strip must not start a formula.
    const fragments = csv.split(/[,;\t|\r\n]/).map((fragment) => fragment.replace(/^[\s"]+/, ""));
    expect(fragments.filter((fragment) => /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66]/.test(fragment))).toEqual(
      [],
    );
    for (const line of csv.split("\r\n").slice(1, -1)) expect(line).toMatch(/^"evt_[^"]*"(,"([^"]|"")*")+$/);
    expect(csv).toContain(`"Mozilla/5.0;'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csv).toContain(`"a|'=cmd|' /C calc'!A0"`);
  });

  it("S8 the export applies the same filters as the list", async () => {
    const { root, alice, all } = await busyTeam();
    const changes = all.filter((event) => event.type === "member.status_changed");
    const query = `member=${alice.id}&type=member.status_changed&from=${changes[2]?.at}`;
    const response = await exportOf(root.cookie, query);
    const ids = (response.body as string).split("\r\n").slice(1, -1).map(firstCell);
    expect(ids).toEqual(changes.slice(0, 3).map((event) => event.id));
    const none = await exportOf(root.cookie, "type=two_factor.locked");
    expect(none.status).toBe(200);
    expect(none.body).toBe(HEADER);
  });

  it("S8 the export is bounded: at most 10,000 rows, and says when it cut", async () => {
    const root = await createRoot(context);
    const rows = Array.from({ length: 10_001 }, (_, index) => ({
      accountId: root.accountId,
      type: "two_factor.code_rejected" as const,
      actor: null,
      subject: null,
      meta: { clientAddress: null, userAgent: `ua ${index}` },
    }));
    for (let start = 0; start < rows.length; start += 2_000) {
      await recordAuditEvent(context.database.db, context.deps, ...rows.slice(start, start + 2_000));
    }
    const response = await exportOf(root.cookie, "type=two_factor.code_rejected");
    expect(response.headers.get("x-export-truncated")).toBe("true");
    const lines = (response.body as string).split("\r\n");
    expect(lines).toHaveLength(10_000 + 2);
    expect(lines[1]).toContain("ua 10000");
    expect(lines.at(-2)).toContain(`"ua 1",`);
  });
});

describe("S8 who reads the trail (SPEC §4: root, administrators, auditors)", () => {
  it.each<[string, number]>([
    ["root", 200],
    ["administrator", 200],
    ["auditor", 200],
    ["project_user", 403],
    ["project_admin", 403],
    ["accountant", 403],
  ])("S8 filtered list and export read by %s → %i", async (who, status) => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["project_user"] });
    const reader = who === "root" ? root : await createMember(context, root, { roles: [who] });
    const list = await call(
      context,
      "GET",
      `/api/team/audit-events?member=${member.id}&type=member.invited`,
      {
        cookie: reader.cookie,
      },
    );
    const csv = await exportOf(reader.cookie, `member=${member.id}`);
    expect(list.status).toBe(status);
    expect(csv.status).toBe(status);
    if (status === 200) {
      expect(list.body.events).toHaveLength(1);
      expect(csv.body).toContain(member.email);
    } else {
      expect(list.body.error.code).toBe("FORBIDDEN");
      expect(csv.body.error.code).toBe("FORBIDDEN");
      expect(JSON.stringify(csv.body)).not.toContain(member.email);
    }
  });

  it("S8 without a session → 401 JSON, no CSV", async () => {
    const response = await exportOf("");
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
  });

  it("S8 another team's member id finds nothing: the trail never crosses tenants", async () => {
    const { alice, all } = await busyTeam();
    const other: Root = await createRoot(context);
    expect(await eventsOf(other.cookie, `&member=${alice.id}`)).toEqual([]);
    const csv = await exportOf(other.cookie, `member=${alice.id}`);
    expect(csv.body).toBe(HEADER);
    const everything = await exportOf(other.cookie);
    for (const event of all) expect(everything.body).not.toContain(event.id);
    expect((await eventsOf(other.cookie)).some((event) => all.some((mine) => mine.id === event.id))).toBe(
      false,
    );
  });
});

describe("S7 bad filters → 400 VALIDATION_FAILED", () => {
  it.each([
    "member=not-an-id",
    "member=acc_aaaaaaaaaaaaaaaaaaaaaa",
    "type=member.exploded",
    "type=member.invited&type=bogus",
    "type=",
    "from=2026-03-02",
    "from=last%20week",
    "to=2026-02-30T00:00:00Z",
    "from=2026-03-02T10:00:00Z&to=2026-03-02T09:59:59Z",
    "to=2026-03-02T10:00:00Z&to=2026-03-02T11:00:00Z",
    "member=x&member=y",
    "sort=asc",
  ])("S7 %s", async (query) => {
    const root = await createRoot(context);
    for (const path of ["/api/team/audit-events", "/api/team/audit-events/export.csv"]) {
      const response = await call(context, "GET", `${path}?${query}`, { cookie: root.cookie });
      expect(response.status, path).toBe(400);
      expect(response.body.error.code, path).toBe("VALIDATION_FAILED");
    }
  });
});
