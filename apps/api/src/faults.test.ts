import { createHash } from "node:crypto";
import { generateTotpCode, totpStepAt } from "@cloud2fa/domain";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiInstance, startApiInstances } from "./test/api-process.js";
import { type PrivateCluster, startPrivateCluster } from "./test/private-postgres.js";
import { type SmtpServer, startSmtpServer } from "./test/smtp.js";

// Only in the "postgres" vitest project (see vitest.config.ts), though it needs no DATABASE_URL: it
// runs a built API process on a private PostgreSQL cluster that it stops and restarts under load.

const ENCRYPTION_KEYS = `k1:${createHash("sha256").update("cloud2fa faults key").digest("base64")}`;
const PASSWORD = "correct horse battery staple";
const REQUEST_TIMEOUT_IN_MS = 5000;
const RECOVERY_LIMIT_IN_MS = 20_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Outcome {
  action: string;
  sentAt: number;
  answeredAt: number;
  status: number | "timeout" | "network";
  code: string | undefined;
  isJsonError: boolean;
  detail: string;
}

interface Reply {
  status: number;
  body: any;
  cookie: string | undefined;
}

let api: ApiInstance | undefined;
let cluster: PrivateCluster | undefined;
let smtp: SmtpServer | undefined;
const outcomes: Outcome[] = [];

// Each request from its own client address (TRUST_PROXY=1, as behind a load balancer): the load stands
// for many clients, and one address holds only a few places in the password-hash queue (issue 13).
let requestsSent = 0;
const nextClientAddress = () => {
  const n = requestsSent++;
  return `10.2.${(n >> 8) & 255}.${n & 255}`;
};

/** One request with a deadline; every answer is recorded for the checks at the end. */
async function send(action: string, method: string, path: string, body?: unknown, cookie?: string) {
  if (!api) throw new Error("no API process");
  const headers: Record<string, string> = { "x-forwarded-for": nextClientAddress() };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (cookie) headers.cookie = cookie;
  const sentAt = Date.now();
  let outcome: Outcome;
  let reply: Reply | null = null;
  try {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_IN_MS),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const isJsonError =
      /^application\/json/.test(response.headers.get("content-type") ?? "") &&
      typeof error?.code === "string" &&
      typeof error.message === "string";
    const cookieValue = /^([^=]+=[^;]*)/.exec(response.headers.get("set-cookie") ?? "")?.[1];
    reply = {
      status: response.status,
      body: parsed,
      cookie: cookieValue && !cookieValue.endsWith("=") ? cookieValue : undefined,
    };
    outcome = {
      action,
      sentAt,
      answeredAt: Date.now(),
      status: response.status,
      code: typeof error?.code === "string" ? error.code : undefined,
      isJsonError,
      detail: text.slice(0, 200),
    };
  } catch (error) {
    const isTimeout = (error as Error).name === "TimeoutError";
    outcome = {
      action,
      sentAt,
      answeredAt: Date.now(),
      status: isTimeout ? "timeout" : "network",
      code: undefined,
      isJsonError: false,
      detail: String(error),
    };
  }
  outcomes.push(outcome);
  return reply;
}

async function createRoot(tag: string) {
  if (!smtp) throw new Error("no smtp");
  const email = `${tag}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await send("setup", "POST", "/api/auth/root/signup", { email, password: PASSWORD });
  const mail = await smtp.waitFor(email, /Verify/);
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  await send("setup", "POST", "/api/auth/root/verify-email", { token, password: PASSWORD });
  const login = await send("setup", "POST", "/api/auth/root/login", { email, password: PASSWORD });
  if (!login?.cookie) throw new Error(`sign-in failed: ${JSON.stringify(login?.body)}`);
  return { email, cookie: login.cookie };
}

/** Start and confirm a TOTP setup with the real clock (the API process runs its own). */
async function enableTotp(action: string, cookie: string) {
  const setup = await send(
    action,
    "POST",
    "/api/me/two-factor/setup",
    { method: "totp", password: PASSWORD },
    cookie,
  );
  const secret: unknown = setup?.body?.secret;
  if (setup?.status !== 200 || typeof secret !== "string") return null;
  const at = new Date();
  const confirmed = await send(
    action,
    "POST",
    "/api/me/two-factor/setup/confirm",
    { code: generateTotpCode({ secret, at }) },
    cookie,
  );
  return confirmed?.status === 200 ? { secret, lastTriedStep: totpStepAt(at) } : null;
}

describe("PostgreSQL stopped and restarted under load", () => {
  beforeAll(async () => {
    [cluster, smtp] = await Promise.all([startPrivateCluster(), startSmtpServer()]);
    [api] = await startApiInstances(1, {
      DATABASE_URL: cluster.url,
      ENCRYPTION_KEYS,
      SMTP_URL: smtp.url,
      TRUST_PROXY: "1",
    });
  }, 120_000);

  afterAll(async () => {
    const child = api?.process;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await smtp?.close();
    await cluster?.destroy();
  });

  it("answers 503 DATABASE_UNAVAILABLE (never 500, never a hang), recovers by itself, leaves no half-written row", async () => {
    if (!cluster) throw new Error("no cluster");
    const db = cluster;
    const admin = await createRoot("admin");
    const signInOnly = await createRoot("password-only");
    const totpUsers: { email: string; secret: string; lastTriedStep: number }[] = [];
    const wrongCodeUsers: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, index) => {
        const root = await createRoot(index < 8 ? "totp" : "wrong-code");
        const enabled = await enableTotp("setup", root.cookie);
        if (!enabled) throw new Error(`could not enable TOTP: ${api?.output.join("").slice(-3000)}`);
        if (index < 8) totpUsers.push({ email: root.email, ...enabled });
        else wrongCodeUsers.push(root.email);
      }),
    );
    const toEnable = await Promise.all(Array.from({ length: 16 }, () => createRoot("enable")));
    outcomes.length = 0;

    let invites = 0;
    const actions: Record<string, () => Promise<unknown>> = {
      me: () => send("me", "GET", "/api/me", undefined, admin.cookie),
      login: () =>
        send("login", "POST", "/api/auth/root/login", { email: signInOnly.email, password: PASSWORD }),
      invite: () =>
        send(
          "invite",
          "POST",
          "/api/team/members",
          { email: `invitee-${invites++}@example.com`, password: PASSWORD, roles: ["auditor"] },
          admin.cookie,
        ),
      verify: async () => {
        // S2: a step is accepted once per user and never at or before the last one; T+1 is in the window.
        const step = totpStepAt(new Date());
        const user = totpUsers.find((candidate) => candidate.lastTriedStep < step + 1);
        if (!user) return;
        user.lastTriedStep = Math.max(user.lastTriedStep + 1, step - 1);
        const tried = user.lastTriedStep;
        const login = await send("verify", "POST", "/api/auth/root/login", {
          email: user.email,
          password: PASSWORD,
        });
        const challengeId: unknown = login?.body?.challengeId;
        if (typeof challengeId !== "string") return;
        const code = generateTotpCode({ secret: user.secret, at: new Date(tried * 30_000 + 1000) });
        await send("verify", "POST", `/api/auth/challenges/${challengeId}/verify`, { code });
      },
      wrongCode: async () => {
        const email = wrongCodeUsers[invites % wrongCodeUsers.length];
        const login = await send("wrongCode", "POST", "/api/auth/root/login", { email, password: PASSWORD });
        const challengeId: unknown = login?.body?.challengeId;
        if (typeof challengeId !== "string") return;
        await send("wrongCode", "POST", `/api/auth/challenges/${challengeId}/verify`, { code: "000000" });
      },
      enable: async () => {
        const root = toEnable.pop();
        if (root) await enableTotp("enable", root.cookie);
        else await send("me", "GET", "/api/me", undefined, admin.cookie);
      },
    };
    const order = ["me", "verify", "login", "invite", "me", "enable", "verify", "wrongCode"];
    let isLoadRunning = true;
    const workers = Array.from({ length: 8 }, async (_, worker) => {
      for (let turn = worker; isLoadRunning; turn++) {
        await actions[order[turn % order.length] ?? "me"]?.();
      }
    });

    const windows: { mode: string; stoppedAt: number; startIssuedAt: number; recoveredInMs: number }[] = [];
    const probes: { phase: string; status: number | "timeout" | "network"; code: string | undefined }[] = [];
    const probe = async (phase: string, path: string) => {
      const reply = await send(`probe ${path}`, "GET", path);
      const last = outcomes.at(-1);
      probes.push({ phase, status: last?.status ?? "network", code: last?.code });
      return reply;
    };
    for (const mode of ["fast", "immediate"] as const) {
      await sleep(2000);
      await db.stop(mode);
      const stoppedAt = Date.now();
      await sleep(3000);
      await probe(`${mode} down`, "/readyz");
      await probe(`${mode} down`, "/healthz");
      const startIssuedAt = Date.now();
      await db.start();
      for (;;) {
        const ready = await probe(`${mode} recovering`, "/readyz");
        const me = await send("recovery me", "GET", "/api/me", undefined, admin.cookie);
        if (ready?.status === 200 && me?.status === 200) break;
        if (api?.process.exitCode !== null) {
          throw new Error(`the API process died during the outage:\n${api?.output.join("").slice(-3000)}`);
        }
        if (Date.now() - startIssuedAt > RECOVERY_LIMIT_IN_MS) {
          throw new Error(`no recovery in ${RECOVERY_LIMIT_IN_MS} ms:\n${api?.output.join("").slice(-3000)}`);
        }
        await sleep(200);
      }
      windows.push({ mode, stoppedAt, startIssuedAt, recoveredInMs: Date.now() - startIssuedAt });
    }
    const recoveredAt = Date.now();
    await sleep(3000);
    isLoadRunning = false;
    await Promise.all(workers);

    const describeOutcome = (outcome: Outcome) =>
      `${outcome.action} ${outcome.status} ${outcome.code ?? ""} after ${outcome.answeredAt - outcome.sentAt} ms: ${outcome.detail}`;
    // Never a hang, never a dropped connection, never a 5xx but 503 DATABASE_UNAVAILABLE.
    const broken = outcomes.filter(
      (outcome) =>
        typeof outcome.status !== "number" ||
        (outcome.status >= 500 && !(outcome.status === 503 && outcome.code === "DATABASE_UNAVAILABLE")),
    );
    expect(broken.map(describeOutcome), api?.output.join("").slice(-3000)).toEqual([]);
    // Every refusal is the JSON error shape.
    const shapeless = outcomes.filter(
      (outcome) => typeof outcome.status === "number" && outcome.status >= 400 && !outcome.isJsonError,
    );
    expect(shapeless.map(describeOutcome)).toEqual([]);
    // Sent while the database was down: 503 DATABASE_UNAVAILABLE, whatever the endpoint (bar /healthz).
    for (const window of windows) {
      const whileDown = outcomes.filter(
        (outcome) =>
          outcome.sentAt >= window.stoppedAt &&
          outcome.answeredAt <= window.startIssuedAt &&
          outcome.action !== "probe /healthz",
      );
      expect(whileDown.length, window.mode).toBeGreaterThan(5);
      expect(
        whileDown
          .filter((outcome) => outcome.status !== 503 || outcome.code !== "DATABASE_UNAVAILABLE")
          .map(describeOutcome),
        window.mode,
      ).toEqual([]);
      expect(window.recoveredInMs, window.mode).toBeLessThan(RECOVERY_LIMIT_IN_MS);
    }
    expect(probes.filter((entry) => entry.phase.endsWith("down"))).toEqual([
      { phase: "fast down", status: 503, code: "DATABASE_UNAVAILABLE" },
      { phase: "fast down", status: 200, code: undefined },
      { phase: "immediate down", status: 503, code: "DATABASE_UNAVAILABLE" },
      { phase: "immediate down", status: 200, code: undefined },
    ]);
    // After recovery the load succeeds again, each kind of request.
    const succeededAfter = new Set(
      outcomes
        .filter(
          (outcome) =>
            outcome.sentAt >= recoveredAt && typeof outcome.status === "number" && outcome.status < 300,
        )
        .map((outcome) => outcome.action),
    );
    expect([...succeededAfter]).toEqual(expect.arrayContaining(["me", "login", "invite"]));
    expect(
      outcomes.some((outcome) => outcome.action === "verify" && outcome.detail.includes("authenticated")),
    ).toBe(true);

    await checkNoHalfWrittenRow(db.url);
  }, 180_000);
});

/** Invariants that the services' transactions guarantee, checked on what the database kept. */
async function checkNoHalfWrittenRow(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    for (const table of [
      "two_factors",
      "two_factor_setups",
      "sessions",
      "sign_in_challenges",
      "one_time_tokens",
      "email_codes",
    ]) {
      const [orphans] = await sql`select count(*)::int as n from ${sql(table)} t
        where not exists (select 1 from users u where u.id = t.user_id)`;
      expect(orphans?.n, `${table} rows without their user`).toBe(0);
    }
    const secretless =
      await sql`select user_id from two_factors where method = 'totp' and secret_ciphertext is null`;
    expect(secretless, "TOTP factors without a secret").toEqual([]);

    // confirmSetup: the factor, its audit event and the accepted setup code commit together.
    const enabling = await sql`select u.id,
        exists (select 1 from two_factors t where t.user_id = u.id) as enabled,
        (select count(*)::int from audit_events a where a.type = 'two_factor.enabled' and a.subject_id = u.id) as enabled_events,
        (select count(*)::int from audit_events a where a.type = 'two_factor.code_accepted'
           and a.subject_id = u.id and a.detail->>'purpose' = 'setup') as setup_codes
      from users u`;
    const mismatched = enabling.filter(
      (row) => row.enabled_events !== (row.enabled ? 1 : 0) || row.setup_codes !== row.enabled_events,
    );
    expect(mismatched, "two_factor.enabled events ⇔ two_factors rows").toEqual([]);
    expect(enabling.filter((row) => row.enabled).length).toBeGreaterThan(10);

    // verifyChallenge: the challenge is consumed, the session created and the acceptance audited together
    // (no factor was enabled or removed after these users' challenges opened, so nothing revoked them).
    const signIns = await sql`select t.user_id,
        (select count(*)::int from sign_in_challenges c where c.user_id = t.user_id and c.consumed_at is not null) as consumed,
        (select count(*)::int from sessions s where s.user_id = t.user_id and s.created_at >= t.enabled_at) as sessions,
        (select count(*)::int from audit_events a where a.type = 'two_factor.code_accepted'
           and a.subject_id = t.user_id and a.detail->>'purpose' = 'sign_in') as accepted
      from two_factors t`;
    expect(
      signIns.filter((row) => row.consumed !== row.sessions || row.accepted !== row.consumed),
      "consumed challenges ⇔ sessions ⇔ accepted sign-in codes",
    ).toEqual([]);
    expect(signIns.reduce((sum, row) => sum + row.consumed, 0)).toBeGreaterThan(0);

    // inviteMember: the member, its activation token and its audit event commit together.
    const [members] = await sql`select
        (select count(*)::int from users where kind = 'member') as members,
        (select count(*)::int from audit_events where type = 'member.invited') as invited,
        (select count(*)::int from users u where kind = 'member' and not exists (
           select 1 from one_time_tokens o where o.user_id = u.id and o.purpose = 'activate_member')) as tokenless`;
    expect(members?.tokenless, "invited members without an activation token").toBe(0);
    expect(members?.invited, "member.invited events ⇔ members").toBe(members?.members);
    expect(members?.members).toBeGreaterThan(0);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
