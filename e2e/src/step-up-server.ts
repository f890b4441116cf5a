import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connectDatabase, type Database } from "../../apps/api/src/db/connect.js";

// Step-up journeys: the real built server, which can be stopped, have its embedded database edited
// (PGlite admits one process at a time), and be started again on the same port and DATA_DIR.

const repoRoot = resolve(import.meta.dirname, "../..");

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export async function startRestartableServer(smtpUrl: string) {
  const port = await findFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), "cloud2fa-e2e-step-up-"));
  const baseUrl = `http://localhost:${port}`;
  let log = "";
  let child: ChildProcess | null = null;

  const launch = async () => {
    const started = spawn(process.execPath, [join(repoRoot, "apps/api/dist/main.js")], {
      env: {
        ...process.env,
        DATABASE_URL: "",
        ENCRYPTION_KEYS: "",
        PORT: String(port),
        DATA_DIR: dataDir,
        SMTP_URL: smtpUrl,
        PUBLIC_URL: baseUrl,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    started.stdout?.on("data", (chunk) => {
      log += chunk;
    });
    started.stderr?.on("data", (chunk) => {
      log += chunk;
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`server exited: ${log}`);
      const ready = await fetch(`${baseUrl}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`server not ready: ${log}`);
      await new Promise((done) => setTimeout(done, 200));
    }
  };
  const halt = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((done) => running.once("exit", done));
    running.kill("SIGTERM");
    await exited;
  };

  await launch();
  return {
    baseUrl,
    log: () => log,
    /** Stops the server, lets `edit` change its database, and starts it again (same port, same data). */
    async restartAfter(edit: (database: Database) => Promise<void>) {
      await halt();
      const database = await connectDatabase({ dataDir });
      try {
        await edit(database);
      } finally {
        await database.close();
      }
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
