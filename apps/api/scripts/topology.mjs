// Debian's HAProxy and PgBouncer, started with the configuration docs/scale-out.md shows (its fenced
// `pgbouncer.ini` and `haproxy.cfg` blocks, placeholders filled in): the topology test and
// `pnpm bench --instances` run exactly what the docs tell an operator to run.
import { spawn } from "node:child_process";
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect as openSocket } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const docsFile = fileURLToPath(new URL("../../../docs/scale-out.md", import.meta.url));
const STARTUP_IN_MS = 30_000;
const STOP_GRACE_IN_MS = 5000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The path of `name` on PATH or in the sbin directories Debian installs daemons to; a clear error if absent. */
export function findExecutable(name) {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  throw new Error(
    `${name} is not installed, and the scale-out topology needs it: apt-get install -y ${name} (.ci/run installs it)`,
  );
}

/** A port nothing listens on right now (the kernel's pick), for a daemon that cannot take port 0. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The docs' fenced block for `file`, placeholders `{{NAME}}` filled; a line with {{API_ADDRESS}} once per API. */
export function configFromDocs(file, values, apiAddresses = []) {
  const docs = readFileSync(docsFile, "utf8");
  const block = new RegExp(`\`\`\`\\w+ ${file.replace(".", "\\.")}\\n([\\s\\S]*?)\`\`\``).exec(docs)?.[1];
  if (!block) throw new Error(`docs/scale-out.md has no \`\`\`… ${file} block`);
  const fill = (line, extra = {}) =>
    line.replace(/\{\{([A-Z_]+)\}\}/g, (_, name) => {
      const value = extra[name] ?? values[name];
      if (value === undefined) throw new Error(`${file}: no value for {{${name}}}`);
      return String(value);
    });
  return block
    .split("\n")
    .flatMap((line) =>
      line.includes("{{API_ADDRESS}}")
        ? apiAddresses.map((address, index) => fill(line, { API_ADDRESS: address, N: index + 1 }))
        : [fill(line)],
    )
    .join("\n");
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = openSocket({ host: "127.0.0.1", port });
    socket.setTimeout(2000);
    socket.once("connect", () => {
      socket.end();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A daemon in the foreground, its output kept for the error message; resolves once `port` accepts. */
async function startDaemon({ name, command, args, port, dir }) {
  const child = spawn(command, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const output = [];
  const keep = (chunk) => output.push(chunk.toString());
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const stop = () => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_IN_MS);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
  };
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  for (const givingUpAt = Date.now() + STARTUP_IN_MS; ; ) {
    const code = await Promise.race([exited, sleep(100).then(() => undefined)]);
    if (code !== undefined) throw new Error(`${name} exited with ${code}:\n${output.join("")}`);
    if (await canConnect(port)) break;
    if (Date.now() > givingUpAt) {
      await stop();
      throw new Error(
        `${name} did not listen on ${port} within ${STARTUP_IN_MS / 1000} s:\n${output.join("")}`,
      );
    }
  }
  return { pid: child.pid ?? 0, port, output, stop };
}

/** A directory for one daemon's files, readable by the unprivileged user PgBouncer switches to. */
function daemonDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `c2f-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

function writeReadable(path, text) {
  writeFileSync(path, text);
  chmodSync(path, 0o644);
}

/**
 * PgBouncer (transaction pooling) in front of the PostgreSQL server of `postgresUrl` (an admin URL);
 * `urlOf(database)` is the URL of that database through it, marked `?pgbouncer=true`.
 */
export async function startPgBouncer({ postgresUrl }) {
  const command = findExecutable("pgbouncer");
  const server = new URL(postgresUrl);
  const user = decodeURIComponent(server.username) || "postgres";
  const dir = daemonDir("pgbouncer");
  const port = await freePort();
  const configFile = join(dir, "pgbouncer.ini");
  const values = {
    POSTGRES_HOST: server.hostname,
    POSTGRES_PORT: server.port || "5432",
    PGBOUNCER_PORT: port,
    DIR: dir,
  };
  writeReadable(configFile, configFromDocs("pgbouncer.ini", values));
  writeReadable(join(dir, "userlist.txt"), `"${user}" "${decodeURIComponent(server.password)}"\n`);
  // PgBouncer refuses to run as root: it switches to an unprivileged user first.
  const asUser = process.getuid?.() === 0 ? ["-u", "nobody"] : [];
  try {
    const daemon = await startDaemon({
      name: "pgbouncer",
      command,
      args: [...asUser, configFile],
      port,
      dir,
    });
    return {
      ...daemon,
      urlOf(database) {
        const url = new URL(postgresUrl);
        url.host = `127.0.0.1:${port}`;
        url.pathname = `/${database}`;
        url.search = "?pgbouncer=true";
        return url.toString();
      },
      async stop() {
        await daemon.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** HAProxy on `port` (127.0.0.1), round robin over `apiUrls`; resolves once it answers /readyz. */
export async function startHaproxy({ port, apiUrls }) {
  const command = findExecutable("haproxy");
  const dir = daemonDir("haproxy");
  const configFile = join(dir, "haproxy.cfg");
  const addresses = apiUrls.map((url) => new URL(url).host);
  writeReadable(configFile, configFromDocs("haproxy.cfg", { PROXY_ADDRESS: `127.0.0.1:${port}` }, addresses));
  try {
    // -db: in the foreground, not as a daemon, so the process is ours to stop.
    const daemon = await startDaemon({
      name: "haproxy",
      command,
      args: ["-db", "-f", configFile],
      port,
      dir,
    });
    const url = `http://127.0.0.1:${port}`;
    for (let tries = 0; (await fetch(`${url}/readyz`).catch(() => null))?.status !== 200; tries++) {
      if (tries > 100) {
        await daemon.stop();
        throw new Error(`haproxy on ${port} does not answer /readyz:\n${daemon.output.join("")}`);
      }
      await sleep(100);
    }
    return {
      ...daemon,
      url,
      async stop() {
        await daemon.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
