import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

// Built API processes (dist/main.js, PORT=0) for the tests that need several of them or a database
// they can stop: multi-instance, many-instances, faults. Only in the "postgres" vitest project.

export const apiDir = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const BUILD_LOCK_STALE_IN_MS = 60_000; // a run killed while holding it
const BUILD_LOCK_WAIT_IN_MS = 100_000;
const buildLock = join(
  tmpdir(),
  `cloud2fa-api-build-${createHash("sha256").update(apiDir).digest("hex").slice(0, 12)}.lock`,
);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ApiInstance {
  url: string;
  process: ChildProcess;
  output: string[];
}

/**
 * Test files run in parallel: one at a time rebuilds dist/ and starts its processes, so no process
 * loads a file another build is rewriting. The lock is a directory (mkdir is atomic).
 */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const givingUpAt = Date.now() + BUILD_LOCK_WAIT_IN_MS;
  for (;;) {
    try {
      mkdirSync(buildLock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const heldSinceInMs = statSync(buildLock, { throwIfNoEntry: false })?.mtimeMs;
      if (heldSinceInMs !== undefined && Date.now() - heldSinceInMs > BUILD_LOCK_STALE_IN_MS) {
        rmSync(buildLock, { recursive: true, force: true });
      }
      if (Date.now() > givingUpAt) throw new Error(`build lock ${buildLock} held too long`);
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(buildLock, { recursive: true, force: true });
  }
}

/** tsc emits despite type errors (the typecheck task reports those); only a missing build is fatal here. */
async function buildApi(): Promise<void> {
  try {
    await run("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: apiDir });
  } catch (error) {
    if (!existsSync(join(apiDir, "dist", "main.js"))) throw error;
  }
}

async function startApiInstance(env: Record<string, string>): Promise<ApiInstance> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: apiDir,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const instance = { url: "", process: child, output };
  try {
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line:\n${output.join("")}`)), 30_000);
      child.stdout.on("data", (chunk: Buffer) => {
        output.push(chunk.toString());
        const found = /listening on http:\/\/localhost:(\d+)/.exec(output.join(""))?.[1];
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      });
      child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
      child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${output.join("")}`)));
    });
    instance.url = `http://127.0.0.1:${port}`;
    for (let tries = 0; ; tries++) {
      const ready = await fetch(`${instance.url}/readyz`).catch(() => null);
      if (ready?.status === 200) break;
      if (tries > 100) throw new Error(`not ready:\n${output.join("")}`);
      await sleep(100);
    }
    return instance;
  } catch (error) {
    await stopApiInstance(instance);
    throw error;
  }
}

/** Build the API, then start `count` processes with `env` (PORT=0), each answering /readyz. */
export function startApiInstances(count: number, env: Record<string, string>): Promise<ApiInstance[]> {
  return withBuildLock(async () => {
    await buildApi();
    const started = await Promise.allSettled(Array.from({ length: count }, () => startApiInstance(env)));
    const instances = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    const failed = started.find((result) => result.status === "rejected");
    if (failed) {
      await Promise.all(instances.map(stopApiInstance));
      throw failed.reason;
    }
    return instances;
  });
}

export function stopApiInstance(instance: ApiInstance | undefined): Promise<void> {
  const child = instance?.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export interface Reply {
  status: number;
  body: {
    status?: string;
    challengeId?: string;
    method?: string;
    secret?: string;
    recoveryCodes?: string[];
    error?: { code: string; message: string };
  } | null;
  cookie: string | undefined;
  retryAfter: string | null;
}

/** A JSON POST to a running instance; `cookie` is the session cookie it set, if any. */
export async function post(
  base: string,
  path: string,
  body: unknown,
  options: { cookie?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  const response = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  const cookieValue = /^([^=]+=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    cookie: cookieValue && !cookieValue.endsWith("=") ? cookieValue : undefined,
    retryAfter: response.headers.get("retry-after"),
  };
}
