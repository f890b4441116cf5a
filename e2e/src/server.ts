import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * The real built server (API + both web apps) on the embedded database in a fresh DATA_DIR, on a
 * clock the journeys can move forward (`advanceClock`), shared by the journeys of a file.
 */
export async function startServer(smtpUrl: string) {
  const port = await findFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), "cloud2fa-e2e-"));
  const baseUrl = `http://localhost:${port}`;
  let log = "";
  let offsetInMs = 0;
  const spawnServer = async (): Promise<ChildProcess> => {
    const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, "clock-server.mjs")], {
      // The embedded database, as a new user gets it: CI's DATABASE_URL is for the API tests.
      env: {
        ...process.env,
        DATABASE_URL: "",
        ENCRYPTION_KEYS: "",
        PORT: String(port),
        DATA_DIR: dataDir,
        SMTP_URL: smtpUrl,
        PUBLIC_URL: baseUrl,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    child.stdout?.on("data", (chunk) => {
      log += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      log += chunk;
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited: ${log}`);
      const ready = await fetch(`${baseUrl}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return child;
      if (Date.now() > deadline) throw new Error(`server not ready: ${log}`);
      await new Promise((done) => setTimeout(done, 200));
    }
  };
  const exit = async (child: ChildProcess) => {
    if (child.exitCode !== null) return;
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
  };
  let child = await spawnServer();
  return {
    baseUrl,
    dataDir,
    log: () => log,
    /** The server's time now. */
    now: () => new Date(Date.now() + offsetInMs),
    /** Moves the server's clock forward (every journey of the file sees it): no real wait. */
    async advanceClock(byInMs: number): Promise<void> {
      const moved = new Promise<void>((done) => child.once("message", () => done()));
      child.send({ advanceInMs: byInMs });
      await moved;
      offsetInMs += byInMs;
    },
    /**
     * Stops the server, runs `offline` (e.g. opening DATA_DIR's embedded database to set up a state no
     * journey can reach in a test's time), and starts it again on the same port and DATA_DIR: sessions survive.
     */
    async restart(offline: (dataDir: string) => Promise<void>) {
      await exit(child);
      await offline(dataDir);
      child = await spawnServer();
      if (offsetInMs !== 0) {
        const moved = new Promise<void>((done) => child.once("message", () => done()));
        child.send({ advanceInMs: offsetInMs });
        await moved;
      }
    },
    async stop() {
      await exit(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
