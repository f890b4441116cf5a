import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { type Query, SQL, StringChunk, sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { type PgDatabase, PgDialect, type PgQueryResultHKT, type PgSession } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { createCommitLanes } from "./one-commit.js";
import { readPostgresUrl } from "./postgres-url.js";
import * as schema from "./schema/index.js";

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the database or a transaction on it: services take this so they compose in one transaction. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("../../src/db/migrations", import.meta.url));
const MIGRATION_LOCK_ID = 2_061_747_271;

/** PostgreSQL when a URL is given, else embedded PGlite in `dataDir` (or in memory); migrations applied. */
export async function connectDatabase(input: {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number;
  /** Named prepared statements (DATABASE_PREPARE); unset: on, unless the URL says ?pgbouncer=true. */
  prepare?: boolean | undefined;
  /** Sees every statement sent (tests count round trips with it). */
  logQuery?: (query: string) => void;
}): Promise<Database> {
  const logger = input.logQuery ? { logQuery: input.logQuery } : false;
  if (input.databaseUrl) {
    const { url, isPgBouncer } = readPostgresUrl(input.databaseUrl);
    const prepare = input.prepare ?? isPgBouncer !== true;
    await migrateOnPostgres(url, prepare);
    const poolSize = input.poolSize ?? 10;
    const options = {
      prepare,
      onnotice: () => {},
      connection: { application_name: "cloud2fa" },
      // While the database is away, fail fast (503) rather than queue behind the driver's growing
      // reconnect delay (up to 20 s), and keep trying every 0.2 s so the API recovers by itself.
      connect_timeout: 2,
      backoff: () => 0.2,
    };
    // Issue 18: the code checks' transactions run on lanes (db/one-commit.ts), each a client of one
    // connection of its own, taken from the pool's size; the rest serves everything else.
    const laneCount = commitLanesFor(poolSize);
    const client = postgres(url, { ...options, max: poolSize - laneCount });
    const db = drizzlePostgres(sendingStatements(client, prepare), { schema, casing: "snake_case", logger });
    const lanes = createCommitLanes(db, {
      count: laneCount,
      connect: (onclose) => {
        const lane = postgres(url, { ...options, max: 1, onclose });
        // Drizzle's driver sets the client's types (timestamps and JSON passed through as text, as the
        // statements expect them); a lane's client takes the same.
        drizzlePostgres(lane);
        return lane;
      },
      prepare,
      // Behind PgBouncer (no named statements), a lane waits for a COMMIT's answer before the next BEGIN.
      isPipelinedAcrossCommits: prepare,
      logQuery: input.logQuery,
    });
    return {
      db,
      kind: "postgres",
      close: async () => {
        await Promise.all([client.end({ timeout: 5 }), lanes.close()]);
      },
    };
  }
  if (input.dataDir) mkdirSync(input.dataDir, { recursive: true });
  const client = await PGlite.create(input.dataDir ? `file://${input.dataDir}/pgdata` : undefined);
  const db = drizzlePglite(client, { schema, casing: "snake_case", logger });
  await migratePglite(db, { migrationsFolder });
  return { db, kind: "pglite", close: () => client.close() };
}

/**
 * How the pool sends a statement (a transaction's run on the driver's own client, untouched). Drizzle
 * sends every statement unprepared, so PostgreSQL parses and plans the hot paths' CTEs on every
 * request. Their texts are fixed (values are parameters), so let postgres.js prepare them once per
 * connection. Without named statements (behind PgBouncer), one statement at a time per connection:
 * PgBouncer 1.18 hands the server to another client at a ReadyForQuery even while a statement
 * pipelined behind it (postgres.js's Parse/Describe/Flush, which has no Sync) waits for its answer.
 */
function sendingStatements(client: postgres.Sql, prepare: boolean): postgres.Sql {
  // `onexecute` is postgres.js's own hook (sql.begin uses it): false marks the connection busy until it answers.
  const sending = (prepare
    ? { prepare: true }
    : { onexecute: () => false }) as unknown as postgres.UnsafeQueryOptions;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== "unsafe") return Reflect.get(target, property, receiver);
      return (
        query: string,
        parameters?: postgres.ParameterOrJSON<never>[],
        options?: postgres.UnsafeQueryOptions,
      ) => target.unsafe(query, parameters, { ...options, ...sending });
    },
  });
}

/** Half the pool's connections, the other half for everything else; a pool of one has no lane. */
export function commitLanesFor(poolSize: number): number {
  return Math.floor(poolSize / 2);
}

/**
 * Several instances may start at once: an advisory lock lets one migrate while the others wait. It is
 * a transaction's lock around the whole migration: behind PgBouncer's transaction pooling a session's
 * lock would be taken on one server connection and released (or left) on another.
 */
async function migrateOnPostgres(databaseUrl: string, prepare: boolean): Promise<void> {
  const client = postgres(databaseUrl, { max: 1, prepare, onnotice: () => {} });
  try {
    await drizzlePostgres(client, { casing: "snake_case" }).transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
      // Drizzle's migrator, on this transaction: the transaction it opens becomes a savepoint of this one.
      const session: PgSession = Object.assign(Object.create(tx._.session), {
        transaction: (work: (nested: typeof tx) => Promise<unknown>) => tx.transaction(work),
      });
      await new PgDialect().migrate(readMigrationFiles({ migrationsFolder }), session, { migrationsFolder });
    });
  } finally {
    await client.end({ timeout: 5 });
  }
}

export async function isDatabaseReachable(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Rows of a raw statement, whichever driver: postgres-js answers an array, PGlite `{ rows }`. It runs
 * as `q.execute` does (the same prepared query of the same session), only built by `textOf` when it can.
 */
export async function queryRows<T>(q: Queryable, query: SQL): Promise<T[]> {
  const built = textOf(query);
  const result: unknown = built
    ? await q._.session.prepareQuery(built, undefined, undefined, false).execute()
    : await q.execute(query);
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * The text and parameters of a statement made only of nested `sql` templates over text and plain
 * values — the hot paths' statements (bench/README.md). Drizzle's general builder checks every chunk
 * against a dozen classes by walking prototype chains, a tenth of a code verification's CPU; one
 * `instanceof` pass gives the same text. Anything else (columns, tables, arrays, dates, inlined
 * params): undefined, and Drizzle builds it.
 */
export function textOf(query: SQL): Query | undefined {
  const built = { sql: "", params: [] as unknown[] };
  return appendChunks(query, built) ? built : undefined;
}

function appendChunks(query: SQL, built: { sql: string; params: unknown[] }): boolean {
  if ((query as unknown as { shouldInlineParams: boolean }).shouldInlineParams) return false;
  for (const chunk of query.queryChunks as unknown[]) {
    if (chunk instanceof StringChunk) {
      built.sql += chunk.value.join("");
    } else if (chunk instanceof SQL) {
      if (!appendChunks(chunk, built)) return false;
    } else if (
      chunk === null ||
      typeof chunk === "string" ||
      typeof chunk === "number" ||
      typeof chunk === "boolean"
    ) {
      built.params.push(chunk);
      built.sql += `$${built.params.length}`;
    } else if (chunk !== undefined) {
      return false;
    }
  }
  return true;
}

/** Timestamps of raw statements come back as strings (with their offset) through Drizzle's drivers. */
export function asDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date
    ? value
    : new Date(value.includes("T") || value.includes("+") ? value : `${value}Z`);
}
