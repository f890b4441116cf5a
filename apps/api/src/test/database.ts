import { sql } from "drizzle-orm";
import postgres from "postgres";
import { connectDatabase, type Database } from "../db/connect.js";

export type TestDatabaseKind = "pglite" | "postgres";

/** The database this vitest project runs on: PGlite always; PostgreSQL when TEST_DATABASE=postgres. */
export function testDatabaseKind(): TestDatabaseKind {
  return process.env.TEST_DATABASE === "postgres" ? "postgres" : "pglite";
}

/** A fresh database per test file: in-memory PGlite, or a new database on the PostgreSQL server. */
export async function createTestDatabase(
  options: { logQuery?: (query: string) => void } = {},
): Promise<Database & { url?: string }> {
  if (testDatabaseKind() === "pglite") return connectDatabase({ ...options });
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error("TEST_DATABASE=postgres needs DATABASE_URL");
  const name = `c2f_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await connectDatabase({ databaseUrl: url.toString(), poolSize: 20, ...options });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

export async function truncateAll(database: Database): Promise<void> {
  await database.db.execute(
    sql.raw(
      "truncate table mail_outbox, audit_events, email_codes, sign_in_challenges, sessions, one_time_tokens, two_factor_setups, two_factors, code_attempt_budgets, email_send_budgets, password_throttles, users, accounts restart identity cascade",
    ),
  );
}
