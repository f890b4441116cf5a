import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sessions } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

const context = useTestApp();

function rootLogin(ctx: TestContext, email: string) {
  return call(ctx, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
}

function memberLogin(ctx: TestContext, accountId: string, email: string) {
  return call(ctx, "POST", "/api/auth/member/login", { body: { accountId, email, password: PASSWORD } });
}

async function meStatus(ctx: TestContext, cookie: string | undefined): Promise<number> {
  return (await call(ctx, "GET", "/api/me", { cookie })).status;
}

/** A member with TOTP enabled (its current session kept) and a second, pending sign-in challenge. */
async function memberWithChallenge(ctx: TestContext) {
  const root = await createRoot(ctx);
  const member = await createMember(ctx, root);
  const cookie = member.cookie as string;
  const secret = await enableTotp(ctx, cookie);
  const login = await memberLogin(ctx, root.accountId, member.email);
  expect(login.body.status).toBe("two_factor_required");
  ctx.clock.advance(30);
  return { root, member, cookie, secret, challengeId: login.body.challengeId as string };
}

describe("S5 sessions", () => {
  it("S5: the session cookie is HttpOnly, SameSite=Strict, Path=/ and an opaque token stored hashed", async () => {
    const root = await createRoot(context);
    const login = await rootLogin(context, root.email);
    const setCookie = login.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^cloud2fa_session=/);
    const attributes = setCookie.split(";").map((part) => part.trim().toLowerCase());
    expect(attributes).toContain("httponly");
    expect(attributes).toContain("samesite=strict");
    expect(attributes).toContain("path=/");
    expect(attributes).not.toContain("secure");
    expect(attributes.some((part) => part.startsWith("domain="))).toBe(false);

    const token = (login.cookie as string).split("=")[1] as string;
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    const rows = await context.database.db.select().from(sessions).where(eq(sessions.userId, root.id));
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("S5: the cookie set after a second-factor code has the same attributes", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    const login = await rootLogin(context, root.email);
    expect(login.headers.get("set-cookie")).toBeNull();
    const verified = await verifyCode(context, login.body.challengeId, totpNow(context, secret));
    expect(verified.status).toBe(200);
    const attributes = (verified.headers.get("set-cookie") ?? "")
      .split(";")
      .map((part) => part.trim().toLowerCase());
    expect(attributes[0]).toMatch(/^cloud2fa_session=.+/);
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/"]));
  });

  it("S5, R2: a pending sign-in challenge opens nothing but its own verify", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    await call(context, "POST", "/api/auth/logout", { cookie: root.cookie });
    const login = await rootLogin(context, root.email);
    const challengeId = login.body.challengeId as string;
    expect(login.cookie).toBeUndefined();

    const attempts: { cookie?: string; headers?: Record<string, string> }[] = [
      { cookie: `cloud2fa_session=${challengeId}` },
      { headers: { authorization: `Bearer ${challengeId}` } },
      { headers: { "x-challenge-id": challengeId }, cookie: `challengeId=${challengeId}` },
    ];
    for (const credentials of attempts) {
      for (const [method, path, body] of [
        ["GET", "/api/me", undefined],
        ["GET", "/api/team/members", undefined],
        ["GET", "/api/team/audit-events", undefined],
        ["POST", "/api/me/two-factor/setup", { method: "totp", password: PASSWORD }],
        ["POST", "/api/me/two-factor/code", undefined],
        [
          "POST",
          "/api/team/members",
          { email: "intruder@example.com", password: PASSWORD, roles: ["administrator"] },
        ],
      ] as const) {
        const answer = await call(context, method, path, { ...credentials, body });
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.body.error.code).toBe("UNAUTHENTICATED");
      }
    }
    const team = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
    expect(team.status).toBe(401);

    context.clock.advance(30);
    const verified = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(verified.status).toBe(200);
    const members = await call(context, "GET", "/api/team/members", { cookie: verified.cookie });
    expect(members.body.members).toEqual([]);
  });

  it("S5: each sign-in issues a new token, also when the client presents an old one", async () => {
    const root = await createRoot(context);
    const first = await rootLogin(context, root.email);
    const second = await call(context, "POST", "/api/auth/root/login", {
      cookie: first.cookie,
      body: { email: root.email, password: PASSWORD },
    });
    expect(new Set([root.cookie, first.cookie, second.cookie]).size).toBe(3);
    expect(await meStatus(context, first.cookie)).toBe(200);
    expect(await meStatus(context, second.cookie)).toBe(200);

    const secret = await enableTotp(context, second.cookie as string);
    context.clock.advance(30);
    const login = await call(context, "POST", "/api/auth/root/login", {
      cookie: second.cookie,
      body: { email: root.email, password: PASSWORD },
    });
    const verified = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      cookie: second.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    expect(verified.cookie).toBeDefined();
    expect(verified.cookie).not.toBe(second.cookie);
  });

  it("S5: enabling 2FA revokes the user's other sessions and keeps the current one", async () => {
    const root = await createRoot(context);
    const other = await rootLogin(context, root.email);
    const current = await rootLogin(context, root.email);
    await enableTotp(context, current.cookie as string);
    expect(await meStatus(context, current.cookie)).toBe(200);
    expect(await meStatus(context, other.cookie)).toBe(401);
    expect(await meStatus(context, root.cookie)).toBe(401);
  });

  it("S5, R9: the root user removing a member's 2FA revokes the member's sessions and pending challenges", async () => {
    const { root, member, cookie, secret, challengeId } = await memberWithChallenge(context);
    const removed = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
    });
    expect(removed.status).toBe(204);
    expect(await meStatus(context, cookie)).toBe(401);
    const late = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(late.status).toBe(410);
    expect(late.cookie).toBeUndefined();
    expect(await meStatus(context, root.cookie)).toBe(200);
  });

  it("S5: disabling a member revokes its sessions and pending challenges, for good", async () => {
    const { root, member, cookie, secret, challengeId } = await memberWithChallenge(context);
    const disabled = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "disabled" },
    });
    expect(disabled.status).toBe(200);
    expect(await meStatus(context, cookie)).toBe(401);
    const late = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(late.status).not.toBe(200);
    expect(late.cookie).toBeUndefined();

    const enabled = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "active" },
    });
    expect(enabled.status).toBe(200);
    expect(await meStatus(context, cookie)).toBe(401);
    const afterReactivation = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(afterReactivation.status).toBe(410);
  });

  it("S5: deleting a member revokes its sessions and pending challenges", async () => {
    const { root, member, cookie, secret, challengeId } = await memberWithChallenge(context);
    expect(await meStatus(context, cookie)).toBe(200);
    const deleted = await call(context, "DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie });
    expect(deleted.status).toBe(204);
    expect(await meStatus(context, cookie)).toBe(401);
    const late = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(late.status).toBe(410);
    expect(late.cookie).toBeUndefined();
  });

  it("S5: sign-out revokes the session server-side and clears the cookie", async () => {
    const root = await createRoot(context);
    const other = await rootLogin(context, root.email);
    const out = await call(context, "POST", "/api/auth/logout", { cookie: root.cookie });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie") ?? "").toMatch(/^cloud2fa_session=;.*Max-Age=0/i);
    expect(await meStatus(context, root.cookie)).toBe(401);
    expect(await meStatus(context, other.cookie)).toBe(200);
    const rows = await context.database.db.select().from(sessions).where(eq(sessions.userId, root.id));
    expect(rows.filter((session) => session.revokedAt !== null)).toHaveLength(1);
  });

  it("S5: a session idle for 30 minutes ends; activity keeps it alive", async () => {
    const root = await createRoot(context);
    context.clock.advance(29 * 60);
    expect(await meStatus(context, root.cookie)).toBe(200);
    context.clock.advance(29 * 60);
    expect(await meStatus(context, root.cookie)).toBe(200);
    context.clock.advance(30 * 60);
    expect(await meStatus(context, root.cookie)).toBe(401);
    context.clock.advance(60);
    expect(await meStatus(context, root.cookie)).toBe(401);
  });

  it("S5: a session ends 12 hours after sign-in, however active", async () => {
    const root = await createRoot(context);
    for (let minutes = 0; minutes < 11 * 60 + 40; minutes += 20) {
      context.clock.advance(20 * 60);
      expect(await meStatus(context, root.cookie)).toBe(200);
    }
    context.clock.advance(19 * 60);
    expect(await meStatus(context, root.cookie)).toBe(200);
    context.clock.advance(60);
    expect(await meStatus(context, root.cookie)).toBe(401);
  });
});
