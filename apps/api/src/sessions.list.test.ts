import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashToken } from "./crypto/tokens.js";
import { auditEvents, sessions } from "./db/schema/index.js";
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
import { expectStepUpRequired, makeStale, snapshot, stepUp } from "./test/step-up.js";

// §6.5 Sessions: where you are signed in, ending one or all others, and signing a member out everywhere.

const context = useTestApp({ settings: { trustProxyHops: 1 } });

const CHROME_ON_LINUX =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  clientAddress: string | null;
  browser: string | null;
  os: string | null;
}

async function rootSignIn(
  ctx: TestContext,
  email: string,
  origin: { userAgent?: string; address?: string } = {},
): Promise<string> {
  const headers: Record<string, string> = {};
  if (origin.userAgent) headers["user-agent"] = origin.userAgent;
  if (origin.address) headers["x-forwarded-for"] = origin.address;
  const login = await call(ctx, "POST", "/api/auth/root/login", {
    body: { email, password: PASSWORD },
    headers,
  });
  expect(login.body.status).toBe("authenticated");
  return login.cookie as string;
}

async function listOf(ctx: TestContext, cookie: string): Promise<SessionView[]> {
  const listed = await call(ctx, "GET", "/api/me/sessions", { cookie });
  expect(listed.status, JSON.stringify(listed.body)).toBe(200);
  return listed.body.sessions as SessionView[];
}

async function currentIdOf(ctx: TestContext, cookie: string): Promise<string> {
  const current = (await listOf(ctx, cookie)).find((session) => session.current);
  if (!current) throw new Error("no current session");
  return current.id;
}

async function meStatus(ctx: TestContext, cookie: string): Promise<number> {
  return (await call(ctx, "GET", "/api/me", { cookie })).status;
}

const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);

async function revokedEvents(ctx: TestContext, accountId: string) {
  return ctx.deps.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.accountId, accountId), eq(auditEvents.type, "session.revoked")));
}

describe("§6.5 where you are signed in", () => {
  it("§6.5 two sign-ins are listed with browser, OS and client address, newest first, this one marked, never a token or its hash", async () => {
    const root = await createRoot(context);
    context.clock.advance(60);
    const first = await rootSignIn(context, root.email, {
      userAgent: CHROME_ON_LINUX,
      address: "203.0.113.7",
    });
    context.clock.advance(120);
    const second = await rootSignIn(context, root.email, {
      userAgent: FIREFOX_ON_WINDOWS,
      address: "10.0.0.1, 198.51.100.9",
    });

    const listed = await call(context, "GET", "/api/me/sessions", { cookie: second });
    expect(listed.status).toBe(200);
    const [newest, older, oldest, ...rest] = listed.body.sessions as SessionView[];
    expect(rest).toEqual([]);
    expect(newest).toEqual({
      id: expect.stringMatching(/^ses_/),
      current: true,
      createdAt: "2026-03-02T09:03:00.000Z",
      lastSeenAt: "2026-03-02T09:03:00.000Z",
      clientAddress: "198.51.100.9",
      browser: "Firefox",
      os: "Windows",
    });
    expect(older).toMatchObject({
      current: false,
      createdAt: "2026-03-02T09:01:00.000Z",
      clientAddress: "203.0.113.7",
      browser: "Chrome",
      os: "Linux",
    });
    expect(oldest).toMatchObject({ current: false, createdAt: "2026-03-02T09:00:00.000Z", browser: null });
    expect(Object.keys(newest ?? {}).sort()).toEqual(
      ["browser", "clientAddress", "createdAt", "current", "id", "lastSeenAt", "os"].sort(),
    );

    const text = JSON.stringify(listed.body);
    const stored = await context.deps.db.select({ tokenHash: sessions.tokenHash }).from(sessions);
    expect(stored).toHaveLength(3);
    for (const cookie of [root.cookie, first, second]) {
      expect(text).not.toContain(tokenOf(cookie));
      expect(text).not.toContain(hashToken(tokenOf(cookie)));
    }
    for (const { tokenHash } of stored) expect(text).not.toContain(tokenHash);
    expect(listed.cookie).toBeUndefined();

    // The other session sees the same list, marked from its side.
    const fromFirst = await listOf(context, first);
    expect(fromFirst.map((session) => session.current)).toEqual([false, true, false]);
  });

  it("§6.5 signed-out, idle and expired sessions are not listed", async () => {
    const root = await createRoot(context);
    const kept = await rootSignIn(context, root.email);
    const signedOut = await rootSignIn(context, root.email);
    expect((await call(context, "POST", "/api/auth/logout", { cookie: signedOut })).status).toBe(204);
    expect(await listOf(context, kept)).toHaveLength(2);

    // The root's first session goes idle; `kept` stays in use, then reaches its absolute lifetime.
    for (let step = 1; step <= 23; step++) {
      context.clock.advance(29 * 60);
      expect(await meStatus(context, kept)).toBe(200);
    }
    const late = await rootSignIn(context, root.email);
    expect((await listOf(context, late)).map((session) => session.current)).toEqual([true, false]);
    context.clock.advance(29 * 60);
    expect(await meStatus(context, kept)).toBe(200);
    expect(await meStatus(context, late)).toBe(200);
    context.clock.advance(25 * 60);
    expect(await meStatus(context, kept)).toBe(401);
    const listed = await listOf(context, late);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.current).toBe(true);
  });

  it("§6.5 a signed-out request gets no list", async () => {
    const listed = await call(context, "GET", "/api/me/sessions");
    expect(listed.status).toBe(401);
    expect(listed.body.error.code).toBe("UNAUTHENTICATED");
  });
});

describe("§6.5 ending your own sessions", () => {
  it("§6.5 ending another session: that cookie gets 401, this one still works; audited", async () => {
    const root = await createRoot(context);
    const other = await rootSignIn(context, root.email, { userAgent: CHROME_ON_LINUX });
    const otherId = await currentIdOf(context, other);

    const ended = await call(context, "DELETE", `/api/me/sessions/${otherId}`, { cookie: root.cookie });
    expect(ended.status).toBe(204);
    expect(ended.headers.get("set-cookie")).toBeNull();
    expect(await meStatus(context, other)).toBe(401);
    expect(await meStatus(context, root.cookie)).toBe(200);
    expect((await listOf(context, root.cookie)).map((session) => session.id)).not.toContain(otherId);

    const [event, ...more] = await revokedEvents(context, root.accountId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      actorId: root.id,
      subjectId: root.id,
      detail: { sessionIds: [otherId], count: 1, current: false },
    });

    // Ending it again: it is no longer a live session of yours.
    const again = await call(context, "DELETE", `/api/me/sessions/${otherId}`, { cookie: root.cookie });
    expect(again.status).toBe(404);
    expect(await revokedEvents(context, root.accountId)).toHaveLength(1);
  });

  it("§6.5 ending this session signs this browser out", async () => {
    const root = await createRoot(context);
    const id = await currentIdOf(context, root.cookie);
    const ended = await call(context, "DELETE", `/api/me/sessions/${id}`, { cookie: root.cookie });
    expect(ended.status).toBe(204);
    expect(ended.headers.get("set-cookie")).toMatch(/^cloud2fa_session=;/);
    expect(ended.cookie).toBeUndefined();
    expect(await meStatus(context, root.cookie)).toBe(401);
    const [event] = await revokedEvents(context, root.accountId);
    expect(event?.detail).toEqual({ sessionIds: [id], count: 1, current: true });
  });

  it("§6.5 ending all other sessions keeps only this one", async () => {
    const root = await createRoot(context);
    const second = await rootSignIn(context, root.email);
    const third = await rootSignIn(context, root.email);
    const ended = await call(context, "DELETE", "/api/me/sessions", { cookie: second });
    expect(ended.status).toBe(204);
    expect(ended.headers.get("set-cookie")).toBeNull();
    expect(await meStatus(context, root.cookie)).toBe(401);
    expect(await meStatus(context, third)).toBe(401);
    expect(await meStatus(context, second)).toBe(200);
    const listed = await listOf(context, second);
    expect(listed).toHaveLength(1);
    expect(listed[0]?.current).toBe(true);
    const [event] = await revokedEvents(context, root.accountId);
    expect(event?.detail).toMatchObject({ count: 2, current: false });

    // Nothing left to end: 204, and no event that says nothing happened.
    expect((await call(context, "DELETE", "/api/me/sessions", { cookie: second })).status).toBe(204);
    expect(await revokedEvents(context, root.accountId)).toHaveLength(1);
  });

  it("§6.5 another user's session id, or an unknown one → 404 NOT_FOUND and nothing changed", async () => {
    const root = await createRoot(context);
    const stranger = await createRoot(context);
    const member = await createMember(context, root);
    const rootSessionId = await currentIdOf(context, root.cookie);
    const memberSessionId = await currentIdOf(context, member.cookie);
    const before = await snapshot(context);
    for (const id of [rootSessionId, memberSessionId, "ses_AAAAAAAAAAAAAAAAAAAAAA"]) {
      const refused = await call(context, "DELETE", `/api/me/sessions/${id}`, { cookie: stranger.cookie });
      expect(refused.status, id).toBe(404);
      expect(refused.body.error.code, id).toBe("NOT_FOUND");
    }
    // A member of the same team cannot end its root user's session either.
    const byMember = await call(context, "DELETE", `/api/me/sessions/${rootSessionId}`, {
      cookie: member.cookie,
    });
    expect(byMember.status).toBe(404);
    expect(await snapshot(context)).toEqual(before);
    expect(await meStatus(context, root.cookie)).toBe(200);
    expect(await meStatus(context, member.cookie)).toBe(200);
  });
});

/** A member with TOTP, signed in twice (two sessions), with a third sign-in waiting at its code step. */
async function memberSignedInTwice(ctx: TestContext, root: { cookie: string; accountId: string }) {
  const member = await createMember(ctx, root);
  const secret = await enableTotp(ctx, member.cookie);
  const signIn = () =>
    call(ctx, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
  ctx.clock.advance(30);
  const second = await signIn();
  const verified = await verifyCode(ctx, second.body.challengeId, totpNow(ctx, secret));
  expect(verified.status).toBe(200);
  const pending = await signIn();
  expect(pending.body.status).toBe("two_factor_required");
  ctx.clock.advance(30);
  return {
    ...member,
    secret,
    cookies: [member.cookie, verified.cookie as string],
    challengeId: pending.body.challengeId as string,
  };
}

async function signOutEverywhere(ctx: TestContext, cookie: string, memberId: string) {
  return call(ctx, "DELETE", `/api/team/members/${memberId}/sessions`, { cookie });
}

describe("§6.5 signing a member out everywhere", () => {
  it("§6.5 the root user signs a member out everywhere: its sessions and open sign-in end, it is mailed, audited", async () => {
    const root = await createRoot(context);
    const member = await memberSignedInTwice(context, root);
    const bystander = await createMember(context, root);

    const ended = await signOutEverywhere(context, root.cookie, member.id);
    expect(ended.status).toBe(204);
    expect(ended.cookie).toBeUndefined();
    for (const cookie of member.cookies) expect(await meStatus(context, cookie)).toBe(401);
    const late = await verifyCode(context, member.challengeId, totpNow(context, member.secret));
    expect(late.status).toBe(410);
    expect(late.cookie).toBeUndefined();
    expect(await meStatus(context, root.cookie)).toBe(200);
    expect(await meStatus(context, bystander.cookie)).toBe(200);

    const mail = await context.smtp.waitFor(member.email, /signed out/);
    expect(mail.text).toContain(root.email);
    const [event, ...more] = await revokedEvents(context, root.accountId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      actorId: root.id,
      actorKind: "root",
      subjectId: member.id,
      subjectKind: "member",
      detail: { scope: "everywhere", count: 2 },
    });

    // The member signs in again as before: password, then the code (its 2FA is untouched).
    const again = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(again.body.status).toBe("two_factor_required");
    expect(again.cookie).toBeUndefined();
  });

  it("§6.5 an administrator needs step-up: 403 STEP_UP_REQUIRED and nothing ended, then 204 after a code", async () => {
    const root = await createRoot(context);
    const administrator = await createMember(context, root, { roles: ["administrator"] });
    const secret = await enableTotp(context, administrator.cookie);
    const target = await createMember(context, root);
    await makeStale(context, [administrator.cookie, target.cookie]);

    const before = await snapshot(context);
    expectStepUpRequired(await signOutEverywhere(context, administrator.cookie, target.id));
    expect(await snapshot(context)).toEqual(before);
    expect(context.smtp.received.filter((mail) => mail.to === target.email)).toHaveLength(1);
    expect(await meStatus(context, target.cookie)).toBe(200);

    expect((await stepUp(context, administrator.cookie, totpNow(context, secret))).status).toBe(200);
    expect((await signOutEverywhere(context, administrator.cookie, target.id)).status).toBe(204);
    expect(await meStatus(context, target.cookie)).toBe(401);
    expect(await meStatus(context, administrator.cookie)).toBe(200);
    const [event] = await revokedEvents(context, root.accountId);
    expect(event).toMatchObject({ actorId: administrator.id, subjectId: target.id });
    await context.smtp.waitFor(target.email, /signed out/);
  });

  it("§6.5 auditors and project users may not (403 FORBIDDEN), and nothing changes", async () => {
    const root = await createRoot(context);
    const target = await createMember(context, root);
    const auditor = await createMember(context, root, { roles: ["auditor"] });
    const projectUser = await createMember(context, root, { roles: ["project_user"] });
    const before = await snapshot(context);
    for (const cookie of [auditor.cookie, projectUser.cookie]) {
      const refused = await signOutEverywhere(context, cookie, target.id);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("FORBIDDEN");
    }
    expect(await snapshot(context)).toEqual(before);
    expect(await meStatus(context, target.cookie)).toBe(200);
  });

  it("§6.5 another team's member → 404 NOT_FOUND, and nothing changes", async () => {
    const root = await createRoot(context);
    const target = await createMember(context, root);
    const otherRoot = await createRoot(context);
    const otherAdministrator = await createMember(context, otherRoot, { roles: ["administrator"] });
    const before = await snapshot(context);
    for (const cookie of [otherRoot.cookie, otherAdministrator.cookie]) {
      const refused = await signOutEverywhere(context, cookie, target.id);
      expect(refused.status).toBe(404);
      expect(refused.body.error.code).toBe("NOT_FOUND");
    }
    expect(await snapshot(context)).toEqual(before);
    expect(await meStatus(context, target.cookie)).toBe(200);
  });

  it("§6.5 not on oneself: an administrator is refused CANNOT_CHANGE_OWN_MEMBERSHIP (its Security page ends its sessions)", async () => {
    const root = await createRoot(context);
    const administrator = await createMember(context, root, { roles: ["administrator"] });
    const refused = await signOutEverywhere(context, administrator.cookie, administrator.id);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("CANNOT_CHANGE_OWN_MEMBERSHIP");
    expect(await meStatus(context, administrator.cookie)).toBe(200);
    // The root user is no member: its id is not a member id at all.
    const ownRoot = await signOutEverywhere(context, root.cookie, root.id);
    expect(ownRoot.status).toBe(400);
    expect(await meStatus(context, root.cookie)).toBe(200);
  });

  it("§6.5 a pending member has no session to end: 409 ACCOUNT_NOT_ACTIVE, no mail, no event", async () => {
    const root = await createRoot(context);
    const pending = await createMember(context, root, { activate: false });
    const before = await snapshot(context);
    const mailsBefore = context.smtp.received.length;
    const refused = await signOutEverywhere(context, root.cookie, pending.id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(await snapshot(context)).toEqual(before);
    expect(context.smtp.received).toHaveLength(mailsBefore);
  });
});

describe("§6.5 nothing here issues a session", () => {
  it("§6.5 R2 listing and ending sessions never set a session cookie, signed in or not", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const other = await rootSignIn(context, root.email);
    const otherId = await currentIdOf(context, other);
    const requests: [string, string][] = [
      ["GET", "/api/me/sessions"],
      ["DELETE", `/api/me/sessions/${otherId}`],
      ["DELETE", "/api/me/sessions"],
      ["DELETE", `/api/team/members/${member.id}/sessions`],
    ];
    for (const cookie of [undefined, "cloud2fa_session=forged", member.cookie, root.cookie]) {
      for (const [method, path] of requests) {
        const response = await call(context, method, path, { cookie });
        expect(response.cookie, `${method} ${path}`).toBeUndefined();
        expect(response.headers.get("set-cookie") ?? "", `${method} ${path}`).not.toMatch(
          /cloud2fa_session=[^;]/,
        );
      }
    }
    const stored = await context.deps.db.select({ id: sessions.id }).from(sessions);
    expect(stored).toHaveLength(3);
  });
});
