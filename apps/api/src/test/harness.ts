import { createHash } from "node:crypto";
import { generateTotpCode } from "@cloud2fa/domain";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { createApp } from "../app.js";
import type { PasswordHashCost } from "../crypto/passwords.js";
import type { Database } from "../db/connect.js";
import type { Clock, Deps, Logger, Random } from "../deps.js";
import { createSmtpMailer, type Mailer } from "../mail/mailer.js";
import { type OutboxSender, startOutboxSender } from "../mail/outbox-sender.js";
import { createTestDatabase, truncateAll } from "./database.js";
import { type SmtpServer, startSmtpServer } from "./smtp.js";

export const PUBLIC_URL = "http://cloud2fa.test";
export const START = new Date("2026-03-02T09:00:00.000Z");

/** A clock that moves only when a test moves it. */
export function createTestClock(start: Date = START) {
  let now = start;
  return {
    now: () => now,
    set: (at: Date) => {
      now = at;
    },
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  } satisfies Clock & Record<string, unknown>;
}

/** Deterministic bytes (SHA-256 of a seed and a counter): exact, and distinct across calls. */
export function createTestRandom(seed: string): Random {
  let counter = 0;
  return {
    bytes(length) {
      const out = new Uint8Array(length);
      for (let offset = 0; offset < length; offset += 32) {
        const block = createHash("sha256").update(`${seed}:${counter++}`).digest();
        out.set(block.subarray(0, Math.min(32, length - offset)), offset);
      }
      return out;
    },
  };
}

export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: (message, fields) => {
    if (process.env.TEST_LOG_ERRORS) console.error(message, fields);
  },
};

export const TEST_KEY = {
  id: "k1",
  key: new Uint8Array(createHash("sha256").update("cloud2fa test key").digest()),
};

/**
 * Argon2's lightest sound cost, for the tests of everything but the password hash's own cost: a
 * hash is then ~1 ms instead of ~40. The tests that measure the hash's work (S6) and the hash
 * queue's bound take the production cost (`PASSWORD_HASH_COST`); a test reads it in a hash written
 * by the real server.
 */
export const TEST_PASSWORD_HASH_COST: PasswordHashCost = { memoryCost: 1024, timeCost: 1 };

export interface TestContext {
  database: Database;
  smtp: SmtpServer;
  clock: ReturnType<typeof createTestClock>;
  deps: Deps;
  app: ReturnType<typeof createApp>;
  /** The outbox's sender, driven by the test: no timer, woken after each mutating request. */
  outbox: OutboxSender;
  /** Resolves when every mail queued so far has been tried (delivered, or refused and put back for later). */
  mailSent: () => Promise<void>;
  mailer: Mailer;
}

/** One database, SMTP server and app per test file; data and clock reset before each test. */
export function useTestApp(
  options: {
    settings?: Partial<Deps["settings"]>;
    logQuery?: (query: string) => void;
    logger?: Logger;
    passwordHashCost?: PasswordHashCost;
  } = {},
): TestContext {
  const context = {} as TestContext;
  beforeAll(async () => {
    context.database = await createTestDatabase({
      ...(options.logQuery ? { logQuery: options.logQuery } : {}),
    });
    context.smtp = await startSmtpServer();
    context.clock = createTestClock();
    const mailer = createSmtpMailer(context.smtp.url);
    const logger = options.logger ?? silentLogger;
    const keys = { keys: [TEST_KEY] };
    context.mailer = mailer;
    context.outbox = startOutboxSender(
      { db: context.database.db, mailer, keys, clock: context.clock, logger },
      { pollIntervalInMs: null },
    );
    context.mailSent = context.outbox.drain;
    context.deps = {
      db: context.database.db,
      clock: context.clock,
      random: createTestRandom(`${Math.random()}`),
      outbox: context.outbox,
      logger,
      keys,
      passwordHashCost: options.passwordHashCost ?? TEST_PASSWORD_HASH_COST,
      settings: {
        publicUrl: PUBLIC_URL,
        sessionTtlInHours: 12,
        sessionIdleInMinutes: 30,
        trustProxyHops: 0,
        ...options.settings,
      },
    };
    context.app = createApp(context.deps);
  }, 60_000);
  beforeEach(async () => {
    await context.mailSent();
    await truncateAll(context.database);
    context.smtp.clear();
    context.clock.set(START);
  });
  afterAll(async () => {
    await context.outbox?.stop();
    context.mailer?.close?.();
    await context.smtp?.close();
    await context.database?.close();
  });
  return context;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
  cookie: string | undefined;
}

/** A JSON request through the real app; returns the parsed body and the session cookie it set. */
export async function call(
  context: TestContext,
  method: string,
  path: string,
  options: {
    body?: unknown;
    cookie?: string | undefined;
    headers?: Record<string, string>;
    rawBody?: string;
  } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie) headers.cookie = options.cookie;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await context.app.request(path, { method, headers, body });
  const text = await response.text();
  // Notices go out after the answer (R11); a test reads the mailbox as of the answer and its mail, so
  // wait for them here, unless the test stalls the mail server to show the answer does not wait.
  if (!context.smtp.isHeld()) await context.mailSent();
  const setCookie = response.headers.get("set-cookie") ?? "";
  const match = /^([^=]+=[^;]*)/.exec(setCookie);
  return {
    status: response.status,
    // JSON bodies parsed; any other (the CSV export) kept as text.
    body:
      text && /json/.test(response.headers.get("content-type") ?? "json") ? JSON.parse(text) : text || null,
    headers: response.headers,
    cookie: match && !match[1]?.endsWith("=") ? match[1] : undefined,
  };
}

export const PASSWORD = "correct horse battery staple";
/** §6.2: the password an inviter chooses for a member; activation replaces it with the member's own (PASSWORD). */
export const INITIAL_PASSWORD = "the inviter chose this one";

function tokenFrom(text: string): string {
  const token = /token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no token in mail: ${text}`);
  return token;
}

export function codeFrom(text: string): string {
  const code = /\b([0-9]{6})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no code in mail: ${text}`);
  return code;
}

/** Sign up and verify a root user; returns its session cookie and account id. */
export async function createRoot(
  context: TestContext,
  email = `root-${Math.random().toString(36).slice(2, 8)}@example.com`,
) {
  await call(context, "POST", "/api/auth/root/signup", { body: { email, password: PASSWORD } });
  const mail = await context.smtp.waitFor(email, /Verify/);
  const verified = await call(context, "POST", "/api/auth/root/verify-email", {
    body: { token: tokenFrom(mail.text), password: PASSWORD },
  });
  if (verified.status !== 200) throw new Error(`verify failed: ${JSON.stringify(verified.body)}`);
  const login = await call(context, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
  const me = await call(context, "GET", "/api/me", { cookie: login.cookie });
  return {
    email,
    cookie: login.cookie as string,
    id: me.body.id as string,
    accountId: me.body.accountId as string,
  };
}

/**
 * Invite (with INITIAL_PASSWORD) and activate (choosing PASSWORD, §6.2) a member of the root's team;
 * returns the member's session cookie.
 */
export async function createMember(
  context: TestContext,
  root: { cookie: string; accountId: string },
  options: { roles?: string[]; email?: string; activate?: boolean } = {},
) {
  const email = options.email ?? `member-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const invited = await call(context, "POST", "/api/team/members", {
    cookie: root.cookie,
    body: { email, password: INITIAL_PASSWORD, roles: options.roles ?? ["project_user"] },
  });
  if (invited.status !== 201) throw new Error(`invite failed: ${JSON.stringify(invited.body)}`);
  const id = invited.body.id as string;
  if (options.activate === false) return { email, id, cookie: "" };
  const mail = await context.smtp.waitFor(email, /invited/);
  const activated = await call(context, "POST", "/api/auth/member/activate", {
    body: { token: tokenFrom(mail.text), initialPassword: INITIAL_PASSWORD, newPassword: PASSWORD },
  });
  if (activated.status !== 200) throw new Error(`activation failed: ${JSON.stringify(activated.body)}`);
  const login = await call(context, "POST", "/api/auth/member/login", {
    body: { accountId: root.accountId, email, password: PASSWORD },
  });
  return { email, id, cookie: login.cookie as string };
}

/** Start and confirm a TOTP setup; returns the secret so tests can make codes. */
export async function enableTotp(context: TestContext, cookie: string): Promise<string> {
  const started = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie,
    body: { method: "totp", password: PASSWORD },
  });
  if (started.status !== 200) throw new Error(`setup failed: ${JSON.stringify(started.body)}`);
  const secret = started.body.secret as string;
  const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
    cookie,
    body: { code: generateTotpCode({ secret, at: context.clock.now() }) },
  });
  if (confirmed.status !== 200) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`);
  return secret;
}

export function totpNow(context: TestContext, secret: string, offsetInSteps = 0): string {
  return generateTotpCode({ secret, at: new Date(context.clock.now().getTime() + offsetInSteps * 30_000) });
}

/** A six-digit code that is none of the codes the server accepts right now (steps T−1, T, T+1). */
export function wrongTotp(context: TestContext, secret: string): string {
  const valid = new Set([-1, 0, 1].map((offset) => totpNow(context, secret, offset)));
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!valid.has(code)) return code;
  }
}

export function verifyCode(context: TestContext, challengeId: string, code: string) {
  return call(context, "POST", `/api/auth/challenges/${challengeId}/verify`, { body: { code } });
}

/** A root sign-in that must stop at the second factor; returns the challenge id. */
export async function openChallenge(context: TestContext, email: string): Promise<string> {
  const login = await call(context, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
  if (login.body?.status !== "two_factor_required")
    throw new Error(`no challenge: ${JSON.stringify(login.body)}`);
  return login.body.challengeId as string;
}
