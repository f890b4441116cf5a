// Readings from /proc: a process's CPU seconds and memory, the machine's busy CPU time, top snapshots.
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** utime + stime of all the process's threads (argon2 on libuv's pool included), in seconds. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** VmHWM (peak resident set) and VmRSS of a process, in MiB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { peakInMiB: kib("VmHWM") / 1024, rssInMiB: kib("VmRSS") / 1024 };
}

/** Resets VmHWM to the current RSS (Linux: "5" to clear_refs), so each run reports its own peak. */
export function resetPeakMemory(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** Busy CPU seconds of the whole machine (all CPUs; idle and iowait excluded). */
export function machineBusySeconds() {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  return (total - (ticks[3] ?? 0) - (ticks[4] ?? 0)) / TICKS_PER_SECOND;
}

/** Every process named postgres on the host (the shared server: other databases' work included). */
export function postgresPids() {
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "postgres") pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

export const sumCpuSeconds = (pids) => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);

/** The busiest processes right now (`top -b -n1`), trimmed. */
export function topSnapshot(lines = 14) {
  return new Promise((resolve) => {
    execFile("top", ["-b", "-n", "1", "-w", "150"], { timeout: 5000 }, (error, stdout) => {
      resolve(error ? `top failed: ${error.message}` : stdout.split("\n").slice(0, lines).join("\n"));
    });
  });
}
