import type { Deps } from "./deps.js";
import { pruneExpiredRows } from "./services/maintenance/prune-expired-rows.js";

/** Every API process prunes; the batches skip each other's rows, so several at once are safe. */
export const PRUNE_INTERVAL_IN_MS = 5 * 60_000;

export interface PruneSchedule {
  /** No further runs; resolves once a run in progress has finished (before the database closes). */
  stop(): Promise<void>;
}

export function startPruneSchedule(
  deps: Pick<Deps, "db" | "clock" | "settings" | "logger">,
  intervalInMs: number = PRUNE_INTERVAL_IN_MS,
): PruneSchedule {
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    running = pruneExpiredRows(deps)
      .then((report) => {
        if (Object.keys(report).length > 0) deps.logger.info("pruned expired rows", { deleted: report });
      })
      // The next run tries again (a database away for a moment is no reason to stop).
      .catch((error: unknown) => deps.logger.warn("pruning expired rows failed", { error: String(error) }))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(run, intervalInMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
