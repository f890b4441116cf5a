import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PASSWORD = "correct horse battery staple";

async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface ApiReply {
  status: number;
  body: { status?: string; secret?: string; error?: { code: string; message: string } } | null;
  cookie?: string;
}

export interface RunningApi {
  url: string;
  now(): Date;
  advanceClock(byInMs: number): Promise<void>;
  /** The text of the newest mail to `to` in the dev mailbox (no SMTP_URL: DATA_DIR/mailbox.log). */
  mailTo(to: string): Promise<string>;
  post(path: string, body: unknown, cookie?: string): Promise<ApiReply>;
  stop(): Promise<void>;
}

/** The real built API on the embedded database in a fresh DATA_DIR, on a clock the test can move. */
export async function startApi(): Promise<RunningApi> {
  const port = await findFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), "cloud2fa-example-"));
  const url = `http://localhost:${port}`;
  let log = "";
  let offsetInMs = 0;
  const child: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, "api-server.mjs")], {
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      DATA_DIR: dataDir,
      PUBLIC_URL: url,
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.stdout?.on("data", (chunk) => {
    log += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    log += chunk;
  });
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited: ${log}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`the API is not ready: ${log}`);
    await new Promise((done) => setTimeout(done, 200));
  }
  return {
    url,
    now: () => new Date(Date.now() + offsetInMs),
    async advanceClock(byInMs) {
      const moved = new Promise<void>((done) => child.once("message", () => done()));
      child.send({ advanceInMs: byInMs });
      await moved;
      offsetInMs += byInMs;
    },
    async mailTo(to) {
      for (let tries = 0; tries < 100; tries++) {
        const mailbox = (() => {
          try {
            return readFileSync(join(dataDir, "mailbox.log"), "utf8");
          } catch {
            return "";
          }
        })();
        const mails = mailbox.split(/^-{60}$/m).filter((mail) => mail.includes(`To: ${to}\n`));
        const last = mails.at(-1);
        if (last) return last;
        await new Promise((done) => setTimeout(done, 100));
      }
      throw new Error(`no mail to ${to}:\n${log}`);
    },
    async post(path, body, cookie) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (cookie) headers.cookie = cookie;
      const response = await fetch(`${url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
      const text = await response.text();
      const set = /^([^=]+=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
      return {
        status: response.status,
        body: text ? JSON.parse(text) : null,
        ...(set && !set.endsWith("=") ? { cookie: set } : {}),
      };
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const tokenIn = (mail: string) => {
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail)?.[1];
  if (!token) throw new Error(`no token in ${mail}`);
  return token;
};
