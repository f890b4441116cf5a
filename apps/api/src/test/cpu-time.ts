import { expect } from "vitest";
import type { ApiResponse } from "./harness.js";

/**
 * S6: the CPU time this worker process spent answering a refused sign-in: the argon2 work (on
 * libuv's threads, counted too) dominates it. Unlike wall time it does not grow when other test
 * files load the machine.
 */
export async function cpuTimeOfRefusal(run: () => Promise<ApiResponse>): Promise<number> {
  const started = process.cpuUsage();
  const response = await run();
  const spent = process.cpuUsage(started);
  expect(response.status).toBe(401);
  return (spent.user + spent.system) / 1000;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
