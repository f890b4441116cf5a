import { describe, expect, it } from "vitest";
import {
  auditEvents,
  codeAttemptBudgets,
  emailCodes,
  emailSendBudgets,
  oneTimeTokens,
  passwordThrottles,
  sessions,
  signInChallenges,
  twoFactorSetups,
  twoFactors,
  users,
} from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  INITIAL_PASSWORD,
  PASSWORD,
  PUBLIC_URL,
  type TestContext,
  totpNow,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

const HOSTILE: Record<string, string>[] = [
  { origin: "https://evil.example" },
  { origin: "null" },
  { origin: "https://cloud2fa.test" },
  { origin: "http://cloud2fa.test:8080" },
  { origin: "http://cloud2fa.test.evil.example" },
  { origin: "http://evil.cloud2fa.test" },
  { "sec-fetch-site": "cross-site" },
  { origin: PUBLIC_URL, "sec-fetch-site": "cross-site" },
  { origin: "https://evil.example", "sec-fetch-site": "same-origin" },
];

const CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded"] as const;

interface Endpoint {
  method: "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: Record<string, unknown>;
}

/** A team with a 2FA root, a 2FA member, an invited member, a pending sign-up and a live challenge. */
async function arrange(ctx: TestContext) {
  const root = await createRoot(ctx);
  const rootSecret = await enableTotp(ctx, root.cookie);
  const member = await createMember(ctx, root, { roles: ["project_user"] });
  await enableTotp(ctx, member.cookie as string);
  const invited = await createMember(ctx, root, { activate: false });
  const invitation = /token=([A-Za-z0-9_-]+)/.exec(
    (await ctx.smtp.waitFor(invited.email, /invited/)).text,
  )?.[1];
  await call(ctx, "POST", "/api/auth/root/signup", {
    body: { email: "newcomer@example.com", password: PASSWORD },
  });
  const verification = /token=([A-Za-z0-9_-]+)/.exec(
    (await ctx.smtp.waitFor("newcomer@example.com", /Verify/)).text,
  )?.[1];
  const challenge = await call(ctx, "POST", "/api/auth/root/login", {
    body: { email: root.email, password: PASSWORD },
  });
  ctx.clock.advance(30);
  const challengeId = challenge.body.challengeId as string;
  const endpoints: Endpoint[] = [
    {
      method: "POST",
      path: "/api/auth/root/signup",
      body: { email: "victim@example.com", password: PASSWORD },
    },
    {
      method: "POST",
      path: "/api/auth/root/verify-email",
      body: { token: verification, password: PASSWORD },
    },
    { method: "POST", path: "/api/auth/root/login", body: { email: root.email, password: PASSWORD } },
    {
      method: "POST",
      path: "/api/auth/member/login",
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    },
    {
      method: "POST",
      path: `/api/auth/challenges/${challengeId}/verify`,
      body: { code: totpNow(ctx, rootSecret) },
    },
    { method: "POST", path: `/api/auth/challenges/${challengeId}/resend` },
    {
      method: "POST",
      path: "/api/auth/member/activate",
      body: { token: invitation, initialPassword: INITIAL_PASSWORD, newPassword: "a password of my own" },
    },
    { method: "POST", path: "/api/auth/logout" },
    { method: "POST", path: "/api/me/two-factor/setup", body: { method: "email", password: PASSWORD } },
    { method: "POST", path: "/api/me/two-factor/setup/confirm", body: { code: totpNow(ctx, rootSecret) } },
    { method: "POST", path: "/api/me/two-factor/code" },
    { method: "DELETE", path: "/api/me/two-factor", body: { code: totpNow(ctx, rootSecret) } },
    {
      method: "POST",
      path: "/api/team/members",
      body: { email: "planted@example.com", password: PASSWORD, roles: ["administrator"] },
    },
    { method: "PATCH", path: `/api/team/members/${member.id}`, body: { status: "disabled" } },
    { method: "DELETE", path: `/api/team/members/${member.id}` },
    { method: "DELETE", path: `/api/team/members/${member.id}/two-factor` },
    { method: "PUT", path: "/api/me" },
    {
      method: "POST",
      path: "/api/me/password",
      body: { currentPassword: PASSWORD, newPassword: "a brand new password" },
    },
  ];
  return { root, member, challengeId, endpoints };
}

async function snapshot(ctx: TestContext): Promise<string> {
  const { db } = ctx.database;
  const tables = [
    users,
    sessions,
    signInChallenges,
    twoFactors,
    twoFactorSetups,
    emailCodes,
    oneTimeTokens,
    auditEvents,
    codeAttemptBudgets,
    emailSendBudgets,
    passwordThrottles,
  ];
  const rows = await Promise.all(tables.map((table) => db.select().from(table)));
  return JSON.stringify({ rows, mails: ctx.smtp.received.length });
}

function send(
  ctx: TestContext,
  endpoint: Endpoint,
  cookie: string,
  contentType: string,
  headers: Record<string, string>,
) {
  const fields = endpoint.body ?? {};
  const rawBody =
    contentType === "application/x-www-form-urlencoded"
      ? new URLSearchParams(
          Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, String(value)])),
        ).toString()
      : JSON.stringify(fields);
  return call(ctx, endpoint.method, endpoint.path, {
    cookie,
    rawBody,
    headers: { ...headers, "content-type": contentType },
  });
}

describe("S5 cross-site request forgery", () => {
  it("S5: every mutating endpoint refuses a foreign, null or cross-site request with 403, whatever the content type, and changes nothing", async () => {
    const { root, endpoints } = await arrange(context);
    const before = await snapshot(context);
    for (const endpoint of endpoints) {
      for (const contentType of CONTENT_TYPES) {
        for (const headers of HOSTILE) {
          const answer = await send(context, endpoint, root.cookie, contentType, headers);
          const label = `${endpoint.method} ${endpoint.path} ${contentType} ${JSON.stringify(headers)}`;
          expect(answer.status, label).toBe(403);
          expect(answer.body.error.code, label).toBe("FORBIDDEN");
          expect(answer.headers.get("set-cookie"), label).toBeNull();
        }
      }
    }
    expect(await snapshot(context)).toBe(before);
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(200);
  });

  it("S5: a cross-site request without a body or content type is refused too", async () => {
    const { root, member } = await arrange(context);
    const before = await snapshot(context);
    for (const headers of HOSTILE) {
      const deleted = await call(context, "DELETE", `/api/team/members/${member.id}`, {
        cookie: root.cookie,
        headers,
      });
      expect(deleted.status).toBe(403);
      const out = await call(context, "POST", "/api/auth/logout", { cookie: root.cookie, headers });
      expect(out.status).toBe(403);
    }
    expect(await snapshot(context)).toBe(before);
  });

  it("S5: requests from the own origin, same-origin fetches and requests without either header pass", async () => {
    const { root, member, challengeId } = await arrange(context);
    const own = { origin: PUBLIC_URL };

    const login = await call(context, "POST", "/api/auth/root/login", {
      headers: { ...own, "sec-fetch-site": "same-origin" },
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.body.status).toBe("two_factor_required");

    const patched = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      headers: own,
      body: { remark: "checked" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.remark).toBe("checked");

    const removed = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
      headers: { "sec-fetch-site": "same-site" },
    });
    expect(removed.status).toBe(204);

    const memberLogin = await call(context, "POST", "/api/auth/member/login", {
      headers: { "sec-fetch-site": "none" },
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(memberLogin.status).toBe(200);
    expect(memberLogin.body.status).toBe("authenticated");

    const noHeaders = await call(context, "POST", "/api/team/members", {
      cookie: root.cookie,
      body: { email: "curl@example.com", password: PASSWORD, roles: ["auditor"] },
    });
    expect(noHeaders.status).toBe(201);

    const textPlain = await call(context, "POST", `/api/auth/challenges/${challengeId}/verify`, {
      headers: { ...own, "content-type": "text/plain" },
      rawBody: JSON.stringify({ code: "123456" }),
    });
    expect(textPlain.status).toBe(400);
    expect(textPlain.body.error.code).toBe("VALIDATION_FAILED");

    const out = await call(context, "POST", "/api/auth/logout", { cookie: root.cookie, headers: own });
    expect(out.status).toBe(204);
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(401);
  });
});
