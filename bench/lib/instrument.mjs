// Server-side readings around each timed run: the API's CPU seconds and peak RSS, the event-loop delay
// from the preloaded probe, PostgreSQL's CPU (this database's backends, and the whole server), the load
// generator's own CPU and the machine's busy time.
import { existsSync, readFileSync } from "node:fs";
import {
  cpuSecondsOf,
  machineBusySeconds,
  memoryOf,
  postgresPids,
  resetPeakMemory,
  sumCpuSeconds,
  topSnapshot,
} from "./proc-stats.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks the probe for the event-loop delay since its last reset (and resets it). */
export async function sampleEventLoop(pid, file) {
  const seqBefore = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).seq : 0;
  process.kill(pid, "SIGUSR2");
  for (let tries = 0; tries < 200; tries++) {
    await sleep(10);
    if (!existsSync(file)) continue;
    const sample = JSON.parse(readFileSync(file, "utf8"));
    if (sample.seq > seqBefore) return sample;
  }
  return null;
}

export function createInstrument({ pid, eventLoopFile, admin, databaseName }) {
  const backendPids = async () =>
    (await admin`select pid from pg_stat_activity where datname = ${databaseName}`).map((row) => row.pid);
  return {
    async start() {
      await sampleEventLoop(pid, eventLoopFile);
      resetPeakMemory(pid);
      const backends = await backendPids();
      const allPostgres = postgresPids();
      return {
        backends,
        allPostgres,
        server: cpuSecondsOf(pid),
        postgres: sumCpuSeconds(backends),
        postgresAll: sumCpuSeconds(allPostgres),
        self: process.cpuUsage(),
        machine: machineBusySeconds(),
      };
    },
    async stop(before, wallInSeconds) {
      const self = process.cpuUsage(before.self);
      const server = cpuSecondsOf(pid) - before.server;
      // Backends the API's pool opened during the run count whole: all their CPU was spent in it.
      const opened = (await backendPids()).filter((backend) => !before.backends.includes(backend));
      const postgres = sumCpuSeconds(before.backends) - before.postgres + sumCpuSeconds(opened);
      const postgresAll = sumCpuSeconds(before.allPostgres) - before.postgresAll;
      const machine = machineBusySeconds() - before.machine;
      const loadGenerator = (self.user + self.system) / 1e6;
      const memory = memoryOf(pid);
      const eventLoop = await sampleEventLoop(pid, eventLoopFile);
      const perWall = (seconds) => seconds / wallInSeconds;
      return {
        serverCpuSeconds: server,
        serverCores: perWall(server),
        postgresCpuSeconds: postgres,
        postgresCores: perWall(postgres),
        postgresAllCores: perWall(postgresAll),
        loadGeneratorCpuSeconds: loadGenerator,
        loadGeneratorCores: perWall(loadGenerator),
        machineCores: perWall(machine),
        otherCores: perWall(machine - server - postgresAll - loadGenerator),
        peakRssInMiB: memory.peakInMiB,
        rssInMiB: memory.rssInMiB,
        eventLoop,
      };
    },
    async snapshotAfter(ms) {
      await sleep(ms);
      return topSnapshot();
    },
  };
}
