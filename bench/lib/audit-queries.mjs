// Issue 18: the audit trail's queries on a million events, before and after migration 0012 (which cut the
// table's indexes to what these queries need). Each query is the API's own (Drizzle builds it from
// services/audit/filter.js, as list-events and export-events do) and runs under EXPLAIN ANALYZE.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const EVENTS = 1_000_000;
const MEMBERS = 200;

/** The migrations up to and including `lastTag`'s number, applied as drizzle's migrator would. */
async function applyMigrations(sql, apiDir, { from, to }) {
  const folder = join(apiDir, "src/db/migrations");
  const files = readdirSync(folder)
    .filter((name) => /^\d{4}_.*\.sql$/.test(name))
    .sort()
    .filter((name) => {
      const number = Number(name.slice(0, 4));
      return number >= from && number <= to;
    });
  for (const name of files) {
    for (const statement of readFileSync(join(folder, name), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) await sql.unsafe(statement);
    }
  }
  return files;
}

/**
 * One big team of a root user and 200 members holding 90% of the events, and 100 small teams the rest,
 * in the mix a team's trail has: mostly a user's own code checks and sign-ins, some of the root user's
 * actions on members, a few rare events.
 */
async function seedEvents(sql) {
  await sql.unsafe(`
    insert into accounts (id, created_at) select 'acc_' || n, now() from generate_series(0, 100) n;
    insert into audit_events (id, account_id, type, actor_id, actor_kind, actor_email, subject_id,
      subject_kind, subject_email, at, client_address, user_agent, detail)
    select 'evt_' || md5(n::text), team, type, actor, 'member', actor || '@example.com', subject, 'member',
      subject || '@example.com', timestamptz '2026-01-01' + n * interval '20 seconds', '192.0.2.1',
      'Mozilla/5.0', '{}'::jsonb
    from (
      select n,
        case when n % 10 = 0 then 'acc_' || (1 + n % 100) else 'acc_0' end as team,
        case when r < 0.45 then 'two_factor.code_accepted' when r < 0.65 then 'two_factor.code_rejected'
          when r < 0.85 then 'session.signed_in' when r < 0.95 then 'session.signed_out'
          when r < 0.999 then 'member.invited' else 'two_factor.removed' end as type,
        case when r >= 0.95 then 'usr_root' else 'usr_' || (n % ${MEMBERS}) end as actor,
        'usr_' || (n % ${MEMBERS}) as subject
      from (select n, ((n::bigint * 7919) % 1000) / 1000.0 as r from generate_series(1, ${EVENTS}) n) numbered
    ) events;
    analyze audit_events;`);
}

async function apiQueries(apiDir) {
  const requireFromApi = createRequire(join(apiDir, "package.json"));
  const { desc, lt, and, eq, or, gte, inArray } = requireFromApi("drizzle-orm");
  const { drizzle } = requireFromApi("drizzle-orm/postgres-js");
  const importApi = (path) => import(pathToFileURL(join(apiDir, "dist", path)).href);
  const { auditEvents } = await importApi("db/schema/index.js");
  const { auditEventsWhereEach } = await importApi("services/audit/filter.js");
  const db = drizzle.mock({ casing: "snake_case" });
  // Before migration 0012: one query, the member as actor or subject in one OR (the code of then).
  const before = (filter) => [
    and(
      eq(auditEvents.accountId, "acc_0"),
      filter.memberId === undefined
        ? undefined
        : or(eq(auditEvents.subjectId, filter.memberId), eq(auditEvents.actorId, filter.memberId)),
      filter.types === undefined ? undefined : inArray(auditEvents.type, filter.types),
      filter.from === undefined ? undefined : gte(auditEvents.at, filter.from),
      filter.to === undefined ? undefined : lt(auditEvents.at, filter.to),
    ),
  ];
  // After: as selectAuditEvents runs them, one query per condition (two with a member), merged by position.
  const list = (filter, { cursor, limit = 51 } = {}) => ({
    before: build(before(filter), { cursor, limit }),
    after: build(auditEventsWhereEach("acc_0", filter), { cursor, limit }),
  });
  const build = (conditions, { cursor, limit }) =>
    conditions.map((condition) =>
      db
        .select()
        .from(auditEvents)
        .where(cursor ? and(condition, lt(auditEvents.seq, cursor)) : condition)
        .orderBy(desc(auditEvents.seq))
        .limit(limit)
        .toSQL(),
    );
  const day = (offset) => new Date(Date.UTC(2026, 0, 1) + offset * 86_400_000);
  return [
    ["the list, first page", list({})],
    ["the list, a page deep in the trail", list({}, { cursor: 300_000 })],
    ["a member (as subject or actor)", list({ memberId: "usr_7" })],
    ["the root user (actor of events about members)", list({ memberId: "usr_root" })],
    ["a member with no events", list({ memberId: "usr_nobody" })],
    ["a common action", list({ types: ["two_factor.code_rejected"] })],
    ["a rare action", list({ types: ["two_factor.removed"] })],
    ["two actions", list({ types: ["member.invited", "two_factor.removed"] })],
    ["a member and an action", list({ memberId: "usr_7", types: ["session.signed_in"] })],
    ["a day, recent", list({ from: day(200), to: day(201) })],
    ["a day, early in the trail", list({ from: day(10), to: day(11) })],
    ["a member over a day", list({ memberId: "usr_7", from: day(100), to: day(101) })],
    [
      "the CSV export, a rare action (up to 10,001 rows)",
      list({ types: ["two_factor.removed"] }, { limit: 10_001 }),
    ],
    ["the CSV export, everything (10,001 rows)", list({}, { limit: 10_001 })],
  ];
}

/** Each query's queries (one, or two with a member) under EXPLAIN ANALYZE; its time is their sum. */
async function explainAll(sql, queries, shape) {
  const results = [];
  for (const [name, shapes] of queries) {
    const parts = shapes[shape];
    let executionMs = 0;
    const plans = [];
    const accesses = [];
    for (const query of parts) {
      // Once to warm the cache, then the measured run.
      await sql.unsafe(`explain analyze ${query.sql}`, query.params);
      const plan = await sql.unsafe(`explain (analyze, buffers) ${query.sql}`, query.params);
      const lines = plan.map((row) => row["QUERY PLAN"]);
      executionMs += Number(/Execution Time: ([\d.]+)/.exec(lines.join("\n"))?.[1]);
      plans.push(lines.join("\n"));
      const access = lines.find((line) => /Scan|Sort/.test(line)) ?? lines[0];
      accesses.push(
        access
          .trim()
          .replace(/^->\s*/, "")
          .replace(/\s+\(cost.*$/, ""),
      );
    }
    results.push({ name, executionMs, plan: plans.join("\n\n"), access: accesses.join("; then ") });
  }
  return results;
}

async function indexSizes(sql) {
  return sql`select indexrelname as name, pg_size_pretty(pg_relation_size(indexrelid)) as size
    from pg_stat_user_indexes where relname = 'audit_events' order by indexrelname`;
}

export async function runAuditQueries({ postgres, adminUrl, apiDir, log }) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const name = `c2f_bench_audit_${Date.now()}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const queries = await apiQueries(apiDir);
    const before = await applyMigrations(sql, apiDir, { from: 0, to: 11 });
    log(`migrated to ${before.at(-1)}; seeding ${EVENTS} events`);
    const seedStarted = performance.now();
    await seedEvents(sql);
    log(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    const oldIndexes = await indexSizes(sql);
    const oldResults = await explainAll(sql, queries, "before");
    const after = await applyMigrations(sql, apiDir, { from: 12, to: 12 });
    log(`applied ${after.join(", ")} to the million events`);
    await sql.unsafe("analyze audit_events");
    const newIndexes = await indexSizes(sql);
    const newResults = await explainAll(sql, queries, "after");
    return { events: EVENTS, oldIndexes, newIndexes, oldResults, newResults, migration: after[0] };
  } finally {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

export function auditQueriesReport({ startedAt, commit, dirty, result }) {
  const rows = result.newResults.map((after, index) => {
    const before = result.oldResults[index];
    return `| ${after.name} | ${before.executionMs.toFixed(2)} | ${after.executionMs.toFixed(2)} | ${after.access} |`;
  });
  const worst = Math.max(...result.newResults.map((each) => each.executionMs));
  const sizes = (list) => list.map((each) => `\`${each.name}\` ${each.size}`).join(", ");
  return `# Audit trail queries on ${result.events.toLocaleString("en")} events — ${startedAt.toISOString()}

Command: \`pnpm bench --audit-queries\` at commit \`${commit}\`${dirty ? " (uncommitted changes in apps/api)" : " (clean working tree)"}.

The API's own list and export queries, each under \`EXPLAIN (ANALYZE, BUFFERS)\` after one warm-up run,
on the schema before \`${result.migration}\` with the queries of then (one query; a member as actor or
subject in one OR) and after it with the queries of now (Drizzle builds them from
\`services/audit/filter.js\`, as list-events and export-events do; with a member, two queries, the member
as subject and as the actor of an event about someone else, whose times are added), on the same million events: one team of a root user and 200 members with 90% of them, 100
small teams with the rest. Slowest query after the migration: **${worst.toFixed(1)} ms** (bound: 50 ms).

| query (team of 900,000 events, newest first, 51 rows unless said) | before ms | after ms | after: how |
| --- | ---: | ---: | --- |
${rows.join("\n")}

Indexes before: ${sizes(result.oldIndexes)}.

Indexes after: ${sizes(result.newIndexes)}.

A code check writes one event: before the migration that was six index entries and a share lock on the
team's account row (the foreign key's check); after it, three entries for a user's own event (the key,
the subject's, the action's), four for one about someone else, and no lock.

<details><summary>Plans after the migration</summary>

${result.newResults.map((each) => `### ${each.name}\n\n\`\`\`\n${each.plan}\n\`\`\``).join("\n\n")}

</details>
`;
}
