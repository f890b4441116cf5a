// Preloaded into the API process by the benchmark (`node --require bench/event-loop-probe.cjs …`), so the
// event-loop delay under load is measured without touching the API's code. On SIGUSR2 it writes the
// delay since the previous signal (p50/p99/max in ms) and the heap to BENCH_EVENT_LOOP_FILE, then resets.
const { monitorEventLoopDelay } = require("node:perf_hooks");
const { renameSync, writeFileSync } = require("node:fs");

// biome-ignore lint/suspicious/noUndeclaredEnvVars: read in the API process the bench starts, not by a turbo task
const file = process.env.BENCH_EVENT_LOOP_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  let seq = 0;
  process.on("SIGUSR2", () => {
    seq += 1;
    const ms = (ns) => ns / 1e6;
    const memory = process.memoryUsage();
    const sample = {
      seq,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      mean: ms(histogram.mean),
      heapUsedInBytes: memory.heapUsed,
      rssInBytes: memory.rss,
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(sample));
    renameSync(`${file}.tmp`, file);
    histogram.reset();
  });
}
