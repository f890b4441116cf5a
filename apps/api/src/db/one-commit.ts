import type { Query, SQL } from "drizzle-orm";
import postgres from "postgres";
import type { Db } from "./connect.js";
import { queryRows, textOf } from "./connect.js";

// Issue 18: a code check settles in one transaction with one commit. On PostgreSQL its transactions run
// on a few connections of their own ("lanes"), one after the other on each, and pipelined: a
// transaction's COMMIT and the next one's BEGIN and first statement go out in the same write. A lane is
// busy from a transaction's first statement to its last, which is sent while the next one waits.

/** The statements of one transaction that settles a code (`inOneCommit`). */
export interface OneCommit {
  /** A statement of the transaction; the first goes out with its BEGIN, in one write and one round trip. */
  rows<T>(query: SQL): Promise<T[]>;
  /** The last statement, sent with the COMMIT in one write: its rows once both are answered (committed). */
  rowsAndCommit<T>(query: SQL): Promise<T[]>;
}

interface Lane {
  /** Reserved when first needed, and again after the driver lost it. */
  connection: postgres.ReservedSql | null;
  isBusy: boolean;
  waiting: (() => void)[];
}

interface CommitLanes {
  client: postgres.Sql;
  lanes: Lane[];
  prepare: boolean;
  /**
   * The next transaction's BEGIN goes out behind a COMMIT before its answer. Not behind PgBouncer 1.18:
   * at the COMMIT's answer it gives the server connection to another client, while what was pipelined
   * behind it still waits there (db/connect.ts, sendingStatements).
   */
  isPipelinedAcrossCommits: boolean;
  logQuery: ((query: string) => void) | undefined;
}

const lanesOf = new WeakMap<object, CommitLanes>();

/** Called by connectDatabase for PostgreSQL; PGlite has none (in process, nothing to pipeline). */
export function useCommitLanes(
  db: Db,
  client: postgres.Sql,
  options: {
    lanes: number;
    prepare: boolean;
    isPipelinedAcrossCommits: boolean;
    logQuery: ((query: string) => void) | undefined;
  },
): void {
  const lanes = Array.from({ length: options.lanes }, () => ({
    connection: null,
    isBusy: false,
    waiting: [],
  }));
  lanesOf.set(db, {
    client,
    lanes,
    prepare: options.prepare,
    isPipelinedAcrossCommits: options.isPipelinedAcrossCommits,
    logQuery: options.logQuery,
  });
}

/** The lane with the fewest transactions on it; resolves once it is this transaction's. */
async function acquire(lanes: Lane[]): Promise<Lane> {
  let lane = lanes[0] as Lane;
  for (const each of lanes) {
    if (each.waiting.length + Number(each.isBusy) < lane.waiting.length + Number(lane.isBusy)) lane = each;
  }
  if (lane.isBusy) await new Promise<void>((resolve) => lane.waiting.push(resolve));
  lane.isBusy = true;
  return lane;
}

/** Hands the lane on at once (the next BEGIN joins this transaction's last write) or frees it. */
function handOn(lane: Lane): void {
  const next = lane.waiting.shift();
  if (next) next();
  else lane.isBusy = false;
}

/**
 * One transaction and one commit for a code check: the charge, the check in between, and the settling
 * statement, committed durably together before the answer. `work` returning commits (if `rowsAndCommit`
 * did not); `work` throwing rolls back. Each row the first statement writes stays locked until the
 * commit. On PGlite, Drizzle's transaction.
 */
export async function inOneCommit<T>(db: Db, work: (tx: OneCommit) => Promise<T>): Promise<T> {
  const driver = lanesOf.get(db);
  if (!driver) {
    return db.transaction((tx) =>
      work({ rows: (query) => queryRows(tx, query), rowsAndCommit: (query) => queryRows(tx, query) }),
    );
  }
  const lane = await acquire(driver.lanes);
  let connection: postgres.ReservedSql;
  try {
    lane.connection ??= await driver.client.reserve();
    connection = lane.connection;
  } catch (error) {
    handOn(lane);
    throw error;
  }
  // An object, not a `let`: TypeScript would narrow a `let` across the closures below.
  const transaction: { state: "none" | "open" | "ended"; isHandedOn: boolean } = {
    state: "none",
    isHandedOn: false,
  };
  const handOnOnce = () => {
    if (transaction.isHandedOn) return;
    transaction.isHandedOn = true;
    handOn(lane);
  };
  /** The last statement is sent (`last`: its answer): the lane goes to the next transaction. */
  const end = (last?: Promise<unknown>) => {
    transaction.state = "ended";
    if (driver.isPipelinedAcrossCommits || !last) handOnOnce();
    else last.then(handOnOnce, handOnOnce);
  };
  const statement = (text: string, parameters: unknown[] = [], prepare = false) => {
    driver.logQuery?.(text);
    const pending = connection.unsafe(text, parameters as postgres.ParameterOrJSON<never>[], { prepare });
    pending.catch((error: unknown) => {
      // A connection the driver lost is not this lane's any more (postgres.js closed it): reserve anew.
      if (!(error instanceof postgres.PostgresError) && lane.connection === connection)
        lane.connection = null;
    });
    return pending.execute();
  };
  const send = (query: SQL) => {
    const built: Query =
      textOf(query) ??
      (db as unknown as { dialect: { sqlToQuery(query: SQL): Query } }).dialect.sqlToQuery(query);
    return statement(built.sql, built.params, driver.prepare);
  };
  try {
    const result = await work({
      async rows<R>(query: SQL) {
        if (transaction.state === "ended") throw new Error("inOneCommit: a statement after the commit");
        const begun = transaction.state === "none" ? statement("begin") : null;
        transaction.state = "open";
        const sent = send(query);
        if (begun) await begun;
        return (await sent) as unknown as R[];
      },
      async rowsAndCommit<R>(query: SQL) {
        if (transaction.state === "ended") throw new Error("inOneCommit: a statement after the commit");
        if (transaction.state === "none") {
          const sent = send(query);
          end(sent);
          return (await sent) as unknown as R[];
        }
        const sent = send(query);
        // A failed statement aborts the transaction: PostgreSQL answers its COMMIT with a rollback.
        const committed = statement("commit");
        end(committed);
        const [rows] = await Promise.all([sent, committed]);
        return rows as unknown as R[];
      },
    });
    if (transaction.state === "open") {
      const committed = statement("commit");
      end(committed);
      await committed;
    }
    return result;
  } catch (error) {
    if (transaction.state === "open") {
      const rolledBack = statement("rollback");
      end(rolledBack);
      await rolledBack.catch(() => {});
    }
    throw error;
  } finally {
    // Nothing was sent (work threw first, or returned without a statement): the lane is free at once.
    if (transaction.state !== "ended") end();
  }
}
