import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../test/database.js";
import { type Database, queryRows } from "./connect.js";
import { inOneCommit } from "./one-commit.js";

// Issue 18: the code checks' transaction. On PostgreSQL it runs on lanes, pipelined one after the other
// (db/one-commit.ts); on PGlite, Drizzle's transaction. Either way: all of it or none of it, and a
// transaction that fails leaves the next one on its lane unharmed.

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`create table lane_counters (id int primary key, n int not null)`);
  await database.db.execute(sql`insert into lane_counters values (1, 0)`);
});
afterAll(() => database?.close());

const counter = async () =>
  (await queryRows<{ n: number }>(database.db, sql`select n from lane_counters where id = 1`))[0]?.n;

describe("inOneCommit: one transaction, one commit", () => {
  it("S3 many at once on one row: each reads and writes under its lock, none lost, none doubled", async () => {
    const before = (await counter()) ?? 0;
    const seen = await Promise.all(
      Array.from({ length: 60 }, () =>
        inOneCommit(database.db, async (tx) => {
          const [row] = await tx.rows<{ n: number }>(
            sql`update lane_counters set n = n + 1 where id = 1 returning n`,
          );
          // Work between the statements, as a code check does; the row stays locked meanwhile.
          await new Promise((resolve) => setImmediate(resolve));
          await tx.rowsAndCommit(sql`update lane_counters set n = n where id = 1`);
          return row?.n;
        }),
      ),
    );
    expect(await counter()).toBe(before + 60);
    expect(new Set(seen).size).toBe(60);
  });

  it("a statement that fails rolls back the whole transaction; the ones after it on its lane commit", async () => {
    const before = (await counter()) ?? 0;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) =>
        inOneCommit(database.db, async (tx) => {
          await tx.rows(sql`update lane_counters set n = n + 1 where id = 1`);
          // Every third fails in its last statement (division by zero), after its first wrote.
          return tx.rowsAndCommit(index % 3 === 0 ? sql`select 1 / 0` : sql`select 1 as "one"`);
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === "rejected")).toHaveLength(4);
    expect(await counter()).toBe(before + 8);
  });

  it("work that throws between the statements rolls back what the first wrote", async () => {
    const before = await counter();
    await expect(
      inOneCommit(database.db, async (tx) => {
        await tx.rows(sql`update lane_counters set n = n + 100 where id = 1`);
        throw new Error("the check refused");
      }),
    ).rejects.toThrow("the check refused");
    expect(await counter()).toBe(before);
    // The lane is still good.
    await inOneCommit(database.db, (tx) => tx.rows(sql`update lane_counters set n = n + 1 where id = 1`));
    expect(await counter()).toBe((before ?? 0) + 1);
  });

  it("S8 its statements see the types every other statement sees: a jsonb parameter stays an object", async () => {
    // The audit event of a sign-in code is written in this transaction; a lane's own client once
    // stored its detail as a JSON string (postgres.js's default serializer, not Drizzle's).
    await database.db.execute(
      sql`create table if not exists lane_details (id int primary key, detail jsonb)`,
    );
    await inOneCommit(database.db, (tx) =>
      tx.rowsAndCommit(
        sql`insert into lane_details values (1, ${JSON.stringify({ purpose: "sign_in" })}::jsonb)`,
      ),
    );
    const [row] = await queryRows<{ kind: string; purpose: string }>(
      database.db,
      sql`select jsonb_typeof(detail) as kind, detail->>'purpose' as purpose from lane_details where id = 1`,
    );
    expect(row).toEqual({ kind: "object", purpose: "sign_in" });
  });

  it("work that returns after its first statement commits it", async () => {
    const before = (await counter()) ?? 0;
    await inOneCommit(database.db, (tx) => tx.rows(sql`update lane_counters set n = n + 2 where id = 1`));
    expect(await counter()).toBe(before + 2);
  });
});
