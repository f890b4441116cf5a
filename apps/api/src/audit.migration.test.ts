import { describe, expect, it } from "vitest";
import { databaseBefore } from "./test/scratch-database.js";

// Issue 18: migration 0012 cuts the audit trail's indexes and its foreign key; the events already
// written are carried over as they are (S8: the trail loses nothing).

describe("S8 migration 0012 keeps every audit event and leaves the trail the indexes its queries use", () => {
  it("S8 the events written before it are all there after it, with their ids, positions and parties", async () => {
    const database = await databaseBefore("0012");
    try {
      await database.run(`insert into accounts (id, created_at) values ('acc_1', now()), ('acc_2', now());
        insert into audit_events (id, account_id, type, actor_id, actor_kind, actor_email, subject_id, subject_kind,
          subject_email, at, client_address, user_agent, detail) values
          ('evt_own', 'acc_1', 'two_factor.code_accepted', 'usr_m', 'member', 'm@example.com', 'usr_m', 'member',
            'm@example.com', '2026-12-01T10:00:00Z', '192.0.2.1', 'UA', '{"purpose":"sign_in"}'),
          ('evt_other', 'acc_1', 'two_factor.removed', 'usr_root', 'root', 'r@example.com', 'usr_m', 'member',
            'm@example.com', '2026-12-01T10:01:00Z', '192.0.2.2', null, '{}'),
          ('evt_team', 'acc_1', 'team.settings_changed', 'usr_root', 'root', 'r@example.com', null, null, null,
            '2026-12-01T10:02:00Z', null, null, '{}'),
          ('evt_elsewhere', 'acc_2', 'root.signed_up', null, null, null, 'usr_x', 'root', 'x@example.com',
            '2026-12-01T10:03:00Z', null, null, '{}');`);
      const before = await database.rows("select * from audit_events order by seq");
      await database.migrate("0012_lean_code_checks");
      expect(await database.rows("select * from audit_events order by seq")).toEqual(before);

      const indexes = await database.rows<{ indexname: string; indexdef: string }>(
        "select indexname, indexdef from pg_indexes where tablename = 'audit_events' order by indexname",
      );
      expect(indexes.map((index) => index.indexname)).toEqual([
        "audit_events_account_other_actor_seq_idx",
        "audit_events_account_subject_seq_idx",
        "audit_events_account_type_seq_idx",
        "audit_events_pkey",
      ]);
      expect(indexes.find((index) => index.indexname === "audit_events_pkey")?.indexdef).toContain(
        "(account_id, seq)",
      );
      // The partial index holds the events about someone else: the root user's removal and team change.
      const others = await database.rows<{ id: string }>(
        `select id from audit_events where actor_id is not null and actor_id is distinct from subject_id order by seq`,
      );
      expect(others.map((row) => row.id)).toEqual(["evt_other", "evt_team"]);

      // Still append-only (migration 0002's trigger), and new events get the next positions.
      await expect(database.run("delete from audit_events where id = 'evt_own'")).rejects.toThrow(
        /append-only/,
      );
      await database.run(`insert into audit_events (id, account_id, type, at, detail)
        values ('evt_new', 'acc_1', 'session.signed_out', now(), '{}')`);
      const [latest] = await database.rows<{ id: string; isLast: boolean }>(
        "select id, seq = (select max(seq) from audit_events) as \"isLast\" from audit_events where id = 'evt_new'",
      );
      expect(latest).toEqual({ id: "evt_new", isLast: true });
    } finally {
      await database.close();
    }
  });
});
