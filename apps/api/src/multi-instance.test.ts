import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateTotpCode, totpStepAt } from "@cloud2fa/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "./test/database.js";
import { type SmtpServer, startSmtpServer } from "./test/smtp.js";

// Only in the "postgres" vitest project (see vitest.config.ts): two real API processes on one database.
// The real clock is unavoidable here: the processes run their own.

const apiDir = fileURLToPath(new URL("..", import.meta.url));
const ENCRYPTION_KEYS = `k1:${createHash("sha256").update("cloud2fa multi-instance key").digest("base64")}`;
const PASSWORD = "correct horse battery staple";

interface Instance {
  url: string;
  process: ChildProcess;
  output: string[];
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: apiDir,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
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
  const url = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    const ready = await fetch(`${url}/readyz`).catch(() => null);
    if (ready?.status === 200) break;
    if (tries > 100) throw new Error(`not ready:\n${output.join("")}`);
    await sleep(100);
  }
  return { url, process: child, output };
}

function stopInstance(instance: Instance | undefined): Promise<void> {
  const child = instance?.process;
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** tsc emits despite type errors (the typecheck task reports those); only a missing build is fatal here. */
function buildApi(): void {
  try {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: apiDir, stdio: "pipe" });
  } catch (error) {
    if (!existsSync(join(apiDir, "dist", "main.js"))) throw error;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Reply {
  status: number;
  body: { status?: string; challengeId?: string; secret?: string; error?: { code: string } } | null;
  cookie: string | undefined;
}

async function post(base: string, path: string, body: unknown, cookie?: string): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (cookie) headers.cookie = cookie;
  const response = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await response.text();
  const cookieValue = /^([^=]+=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
  return {
    status: response.status,
    body: text ? JSON.parse(text) : null,
    cookie: cookieValue && !cookieValue.endsWith("=") ? cookieValue : undefined,
  };
}

describe("S2 across two API processes on one PostgreSQL database", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let smtp: SmtpServer | undefined;
  let a: Instance | undefined;
  let b: Instance | undefined;

  beforeAll(async () => {
    buildApi();
    database = await createTestDatabase();
    smtp = await startSmtpServer();
    if (!database.url) throw new Error("the postgres project must provide a database URL");
    const env = { DATABASE_URL: database.url, ENCRYPTION_KEYS, SMTP_URL: smtp.url };
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await smtp?.close();
    await database?.close();
  });

  function instances(): [string, string] {
    if (!a || !b) throw new Error("instances did not start");
    return [a.url, b.url];
  }

  /** Through A: sign up, verify, enable TOTP with the real clock, sign out. Returns the secret and the step used. */
  async function createRootWithTotp(email: string) {
    const [urlA] = instances();
    if (!smtp) throw new Error("no smtp server");
    expect((await post(urlA, "/api/auth/root/signup", { email, password: PASSWORD })).status).toBe(202);
    const mail = await smtp.waitFor(email, /Verify/);
    const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect((await post(urlA, "/api/auth/root/verify-email", { token })).status).toBe(200);
    const login = await post(urlA, "/api/auth/root/login", { email, password: PASSWORD });
    expect(login.body?.status).toBe("authenticated");
    const setup = await post(
      urlA,
      "/api/me/two-factor/setup",
      { method: "totp", password: PASSWORD },
      login.cookie,
    );
    expect(setup.status).toBe(200);
    const secret = setup.body?.secret ?? "";
    const confirmedAt = new Date();
    const confirmed = await post(
      urlA,
      "/api/me/two-factor/setup/confirm",
      { code: generateTotpCode({ secret, at: confirmedAt }) },
      login.cookie,
    );
    expect(confirmed.status).toBe(200);
    expect((await post(urlA, "/api/auth/logout", {}, login.cookie)).status).toBe(204);
    return { email, secret, confirmedStep: totpStepAt(confirmedAt) };
  }

  /** S2 refuses the confirmation's step again: wait for a later step with at least 5 s left in it. */
  async function currentCodeAfter(user: { secret: string; confirmedStep: number }): Promise<string> {
    for (;;) {
      const now = new Date();
      const secondsIntoStep = (now.getTime() / 1000) % 30;
      if (totpStepAt(now) > user.confirmedStep && secondsIntoStep < 25) {
        return generateTotpCode({ secret: user.secret, at: now });
      }
      await sleep(250);
    }
  }

  async function openChallenge(base: string, email: string): Promise<string> {
    const login = await post(base, "/api/auth/root/login", { email, password: PASSWORD });
    expect(login.body?.status).toBe("two_factor_required");
    expect(login.cookie).toBeUndefined();
    return login.body?.challengeId ?? "";
  }

  /** `loserAnswers`: the refusals the request that did not win may get, as "status CODE". */
  function expectExactlyOneSignIn(replies: Reply[], loserAnswers: string[]) {
    const won = replies.filter((reply) => reply.status === 200);
    const lost = replies.filter((reply) => reply.status !== 200);
    expect(won).toHaveLength(1);
    expect(won[0]?.body?.status).toBe("authenticated");
    expect(won[0]?.cookie).toBeDefined();
    expect(lost).toHaveLength(replies.length - 1);
    for (const reply of lost) {
      expect(loserAnswers).toContain(`${reply.status} ${reply.body?.error?.code}`);
      expect(reply.cookie).toBeUndefined();
    }
  }

  let users: Promise<{ email: string; secret: string; confirmedStep: number }[]> | undefined;
  const seededUsers = () => {
    users ??= Promise.all([
      createRootWithTotp(`multi-a-${process.pid}@example.com`),
      createRootWithTotp(`multi-b-${process.pid}@example.com`),
    ]);
    return users;
  };

  it("S2: the same code on one challenge, sent to both instances at once, signs in exactly once", async () => {
    const [urlA, urlB] = instances();
    const [user] = await seededUsers();
    if (!user) throw new Error("no user");
    const challengeId = await openChallenge(urlA, user.email);
    const code = await currentCodeAfter(user);
    const path = `/api/auth/challenges/${challengeId}/verify`;
    // The loser is refused at the code (400) or, if the winner committed before its attempt was
    // charged, at the challenge, which is then consumed (410): which one depends on timing.
    expectExactlyOneSignIn(await Promise.all([post(urlA, path, { code }), post(urlB, path, { code })]), [
      "400 INVALID_CODE",
      "410 CHALLENGE_EXPIRED",
    ]);
  }, 90_000);

  it("S2: the same code on two challenges, one opened on each instance, signs in exactly once", async () => {
    const [urlA, urlB] = instances();
    const [, user] = await seededUsers();
    if (!user) throw new Error("no user");
    const [onA, onB] = await Promise.all([openChallenge(urlA, user.email), openChallenge(urlB, user.email)]);
    const code = await currentCodeAfter(user);
    expectExactlyOneSignIn(
      await Promise.all([
        post(urlA, `/api/auth/challenges/${onA}/verify`, { code }),
        post(urlB, `/api/auth/challenges/${onB}/verify`, { code }),
      ]),
      ["400 INVALID_CODE"],
    );
  }, 90_000);
});
