import { execFile, execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The newest PostgreSQL server binaries installed (Debian layout). */
function serverBinaries(): string {
  const versions = readdirSync("/usr/lib/postgresql")
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error("no PostgreSQL server in /usr/lib/postgresql");
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster on a free loopback port, in a temp dir, that a test may stop and
 * start at will (never the machine's shared server). PostgreSQL refuses root: as root it runs as `postgres`.
 */
export async function startPrivateCluster() {
  const bin = serverBinaries();
  const isRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "c2f-pg-"));
  if (isRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const port = await freePort();
  const asServerUser = (tool: string, args: string[]) =>
    isRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args]) : run(join(bin, tool), args);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`;
  const logTail = () => {
    try {
      return readFileSync(log, "utf8").slice(-4000);
    } catch {
      return "(no server log)";
    }
  };

  await asServerUser("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const start = async () => {
    try {
      await asServerUser("pg_ctl", ["-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"]);
    } catch (error) {
      throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${logTail()}`);
    }
  };
  const stop = async (mode: "fast" | "immediate") => {
    await asServerUser("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    logTail,
    async destroy() {
      await stop("immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type PrivateCluster = Awaited<ReturnType<typeof startPrivateCluster>>;
