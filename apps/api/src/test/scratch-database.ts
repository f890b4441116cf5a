import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { testDatabaseKind } from "./database.js";

// A database migrated only up to a point, to test what a later migration does with the data already
// there (migrations carry data over): PGlite or PostgreSQL, as the test project says.

const migrationsFolder = fileURLToPath(new URL("../db/migrations", import.meta.url));

export interface ScratchDatabase {
  run(statement: string): Promise<void>;
  rows<T>(statement: string): Promise<T[]>;
  /** The migration's statements, as the migrator runs them. */
  migrate(tag: string): Promise<void>;
  close(): Promise<void>;
}

export function migrationText(tag: string): string {
  return readFileSync(`${migrationsFolder}/${tag}.sql`, "utf8");
}

/** A database with the migrations before `tag` (e.g. "0009"), and none from it on. */
export async function databaseBefore(tag: string): Promise<ScratchDatabase> {
  const folder = mkdtempSync(`${tmpdir()}/c2f-migrations-`);
  cpSync(migrationsFolder, folder, { recursive: true });
  const journal = JSON.parse(readFileSync(`${folder}/meta/_journal.json`, "utf8")) as {
    entries: { tag: string }[];
  };
  journal.entries = journal.entries.filter((entry) => entry.tag < tag);
  writeFileSync(`${folder}/meta/_journal.json`, JSON.stringify(journal));
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  const statementsOf = (migration: string) =>
    migrationText(migration)
      .split("--> statement-breakpoint")
      .filter((statement) => statement.trim());
  if (testDatabaseKind() === "pglite") {
    const client = await PGlite.create();
    await migratePglite(drizzlePglite(client), { migrationsFolder: folder });
    removeFolder();
    return {
      run: async (statement) => {
        await client.exec(statement);
      },
      rows: async <T>(statement: string) => (await client.query<T>(statement)).rows,
      migrate: async (migration) => {
        for (const statement of statementsOf(migration)) await client.exec(statement);
      },
      close: () => client.close(),
    };
  }
  const serverUrl = process.env.DATABASE_URL as string;
  const name = `c2f_test_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), { max: 1, onnotice: () => {} });
  await migratePostgres(drizzlePostgres(client), { migrationsFolder: folder });
  removeFolder();
  return {
    run: async (statement) => {
      await client.unsafe(statement);
    },
    rows: async <T>(statement: string) => (await client.unsafe(statement)) as unknown as T[],
    migrate: async (migration) => {
      for (const statement of statementsOf(migration)) await client.unsafe(statement);
    },
    close: async () => {
      await client.end();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
