import type { Query, SQL } from "drizzle-orm";
import type postgres from "postgres";
import type { Db } from "./connect.js";
import { queryRows, textOf } from "./connect.js";

// Issue 18: a code check settles in one transaction with one commit. On PostgreSQL its transactions run
// on a few connections of their own ("lanes"), one after the other on each, and pipelined: a
// transaction's COMMIT and the next one's BEGIN and first statement go out in the same write. A lane is
// busy from a transaction's first statement to its last, which is sent while the next one waits. Each
// lane is a postgres.js client of one connection that nothing else uses: when the connection is lost,
// the driver opens a new one for the next statement, and a transaction that began on the old one stops
// (503) instead of sending its rest, outside any transaction, on the new one.

/** The statements of one transaction that settles a code (`inOneCommit`). */
export interface OneCommit {
  /** A statement of the transaction; the first goes out with its BEGIN, in one write and one round trip. */
  rows<T>(query: SQL): Promise<T[]>;
  /** The last statement, sent with the COMMIT in one write: its rows once both are answered (committed). */
  rowsAndCommit<T>(query: SQL): Promise<T[]>;
}

interface Lane {
  client: postgres.Sql;
  /** Counts the connections the lane lost: a transaction must end on the one it began on. */
  epoch: number;
  isBusy: boolean;
  waiting: (() => void)[];
}

interface CommitLanes {
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
export function createCommitLanes(
  db: Db,
  options: {
    count: number;
    /** A client of one connection; `onclose` is postgres.js's, called when it loses the connection. */
    connect: (onclose: () => void) => postgres.Sql;
    prepare: boolean;
    isPipelinedAcrossCommits: boolean;
    logQuery: ((query: string) => void) | undefined;
  },
): { close(): Promise<void> } {
  const lanes = Array.from({ length: options.count }, () => {
    const lane: Lane = {
      // Called when the connection is lost, after this lane exists.
      client: options.connect(() => {
        lane.epoch += 1;
      }),
      epoch: 0,
      isBusy: false,
      waiting: [],
    };
    return lane;
  });
  if (lanes.length > 0) {
    lanesOf.set(db, {
      lanes,
      prepare: options.prepare,
      isPipelinedAcrossCommits: options.isPipelinedAcrossCommits,
      logQuery: options.logQuery,
    });
  }
  return {
    async close() {
      await Promise.all(lanes.map((lane) => lane.client.end({ timeout: 5 })));
    },
  };
}

/** The connection a transaction began on is gone: stop, as the driver does for a lost connection. */
function connectionLost(): Error {
  return Object.assign(new Error("the connection of a code check's transaction was lost"), {
    code: "CONNECTION_CLOSED",
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
  const epoch = lane.epoch;
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
    if (lane.epoch !== epoch) throw connectionLost();
    driver.logQuery?.(text);
    const pending = lane.client.unsafe(text, parameters as postgres.ParameterOrJSON<never>[], { prepare });
    // Handled here too: when the connection goes, every statement sent on it fails, and a transaction
    // awaits only the first failure (an unhandled one would end the process).
    pending.catch(() => {});
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
