import { describe, expect, it } from "vitest";
import { call, createMember, createRoot, enableTotp, PASSWORD, totpNow, useTestApp } from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });

const CLIENT = "203.0.113.7";
const AGENT = "cloud2fa-audit-test/1.0";
const client = { "x-forwarded-for": CLIENT, "user-agent": AGENT };

type Root = Awaited<ReturnType<typeof createRoot>>;

interface AuditEvent {
  id: string;
  type: string;
  actor: { id: string; kind: string; email: string } | null;
  subject: { id: string; kind: string; email: string } | null;
  at: string;
  clientAddress: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
}

/** A request from the test client: a known address (one proxy hop) and user agent. */
function act(method: string, path: string, options: { cookie?: string | undefined; body?: unknown } = {}) {
  return call(context, method, path, { ...options, headers: client });
}

async function eventsOf(cookie: string): Promise<AuditEvent[]> {
  const page = await call(context, "GET", "/api/team/audit-events?limit=100", { cookie });
  expect(page.status).toBe(200);
  return page.body.events;
}

async function onlyEvent(cookie: string, type: string): Promise<AuditEvent> {
  const found = (await eventsOf(cookie)).filter((event) => event.type === type);
  expect(found, type).toHaveLength(1);
  return found[0] as AuditEvent;
}

/** A six-digit code no TOTP window step (T−1..T+1) accepts. */
function wrongCode(secret: string): string {
  const accepted = [-1, 0, 1].map((offset) => totpNow(context, secret, offset));
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!accepted.includes(code)) return code;
  }
}

function party(user: { id: string; email: string }, kind: "root" | "member") {
  return { id: user.id, kind, email: user.email };
}

function expectFromClient(event: AuditEvent, at: Date) {
  expect(event.at).toBe(at.toISOString());
  expect(event.clientAddress).toBe(CLIENT);
  expect(event.userAgent).toBe(AGENT);
}

async function startTotp(cookie: string) {
  const started = await act("POST", "/api/me/two-factor/setup", {
    cookie,
    body: { method: "totp", password: PASSWORD },
  });
  expect(started.status).toBe(200);
  return started.body.secret as string;
}

describe("S8 every 2FA event is recorded with actor, subject, time, client address and user agent", () => {
  it("S8 two_factor.setup_started, code_accepted and enabled for a member", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    context.clock.advance(17);
    const startedAt = context.clock.now();
    const secret = await startTotp(member.cookie);
    context.clock.advance(31);
    const confirmedAt = context.clock.now();
    const confirmed = await act("POST", "/api/me/two-factor/setup/confirm", {
      cookie: member.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(confirmed.status).toBe(200);

    const started = await onlyEvent(root.cookie, "two_factor.setup_started");
    expect(started.actor).toEqual(party(member, "member"));
    expect(started.subject).toEqual(party(member, "member"));
    expect(started.detail).toMatchObject({ method: "totp" });
    expectFromClient(started, startedAt);

    for (const type of ["two_factor.code_accepted", "two_factor.enabled"]) {
      const event = await onlyEvent(root.cookie, type);
      expect(event.actor).toEqual(party(member, "member"));
      expect(event.subject).toEqual(party(member, "member"));
      expectFromClient(event, confirmedAt);
    }
    expect(JSON.stringify(await eventsOf(root.cookie))).not.toContain(secret);
  });

  it("S8 two_factor.setup_password_rejected for a wrong password at setup, with no setup started", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    context.clock.advance(23);
    const rejectedAt = context.clock.now();
    const refused = await act("POST", "/api/me/two-factor/setup", {
      cookie: member.cookie,
      body: { method: "totp", password: "a guess that is wrong" },
    });
    expect(refused.status).toBe(401);
    const event = await onlyEvent(root.cookie, "two_factor.setup_password_rejected");
    expect(event.actor).toEqual(party(member, "member"));
    expect(event.subject).toEqual(party(member, "member"));
    expect(event.detail).toMatchObject({ method: "totp" });
    expectFromClient(event, rejectedAt);
    expect((await eventsOf(root.cookie)).map((each) => each.type)).not.toContain("two_factor.setup_started");
  });

  it("S8 two_factor.code_rejected for a wrong sign-in code, with the challenge's user as subject", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const login = await act("POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    context.clock.advance(45);
    const rejectedAt = context.clock.now();
    const rejected = await act("POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: wrongCode(secret) },
    });
    expect(rejected.status).toBe(400);

    const event = await onlyEvent(root.cookie, "two_factor.code_rejected");
    expect(event.actor).toEqual(party(root, "root"));
    expect(event.subject).toEqual(party(root, "root"));
    expect(event.detail).toMatchObject({ purpose: "sign_in" });
    expectFromClient(event, rejectedAt);
  });

  it("S8 two_factor.code_accepted for a sign-in code", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const login = await act("POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    context.clock.advance(30);
    const verified = await act("POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    const accepted = (await eventsOf(verified.cookie as string)).filter(
      (event) => event.type === "two_factor.code_accepted" && event.detail.purpose === "sign_in",
    );
    expect(accepted).toHaveLength(1);
    expectFromClient(accepted[0] as AuditEvent, context.clock.now());
  });

  it("S8 two_factor.locked when the tenth wrong code locks code entry", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const secret = await startTotp(member.cookie);
    for (let attempt = 0; attempt < 9; attempt++) {
      const refused = await act("POST", "/api/me/two-factor/setup/confirm", {
        cookie: member.cookie,
        body: { code: wrongCode(secret) },
      });
      expect(refused.status).toBe(400);
    }
    expect((await eventsOf(root.cookie)).filter((event) => event.type === "two_factor.locked")).toHaveLength(
      0,
    );
    context.clock.advance(5);
    const lockedAt = context.clock.now();
    await act("POST", "/api/me/two-factor/setup/confirm", {
      cookie: member.cookie,
      body: { code: wrongCode(secret) },
    });
    const locked = await onlyEvent(root.cookie, "two_factor.locked");
    expect(locked.actor).toEqual(party(member, "member"));
    expect(locked.subject).toEqual(party(member, "member"));
    expectFromClient(locked, lockedAt);
    const rejected = (await eventsOf(root.cookie)).filter(
      (event) => event.type === "two_factor.code_rejected",
    );
    expect(rejected).toHaveLength(10);
    for (const event of rejected) expect(event.detail).toMatchObject({ purpose: "setup" });

    const whileLocked = await act("POST", "/api/me/two-factor/setup/confirm", {
      cookie: member.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(whileLocked.status).toBe(429);
  });

  it("S8 two_factor.removed by the root user for a member: actor root, subject member", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    context.clock.advance(600);
    const removedAt = context.clock.now();
    const removed = await act("DELETE", `/api/team/members/${member.id}/two-factor`, { cookie: root.cookie });
    expect(removed.status).toBe(204);
    const event = await onlyEvent(root.cookie, "two_factor.removed");
    expect(event.actor).toEqual(party(root, "root"));
    expect(event.subject).toEqual(party(member, "member"));
    expect(event.detail).toMatchObject({ method: "totp" });
    expectFromClient(event, removedAt);
  });

  it("S8 two_factor.removed by the root user for itself (R10)", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    const removed = await act("DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(removed.status).toBe(204);
    const event = await onlyEvent(root.cookie, "two_factor.removed");
    expect(event.actor).toEqual(party(root, "root"));
    expect(event.subject).toEqual(party(root, "root"));
    expectFromClient(event, context.clock.now());
  });

  it("S8 a refused removal (R5) records no two_factor.removed event", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    const refused = await act("DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: admin.cookie,
    });
    expect(refused.status).toBe(403);
    expect((await eventsOf(root.cookie)).some((event) => event.type === "two_factor.removed")).toBe(false);
  });
});

describe("S8 audit gaps: sign-in without a second factor, sign-out", () => {
  it("S8 audit gap: a sign-in that completes on the password alone is recorded as session.signed_in {secondFactor: false}", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    context.clock.advance(60);
    const rootAt = context.clock.now();
    const rootLogin = await act("POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    expect(rootLogin.body.status).toBe("authenticated");
    context.clock.advance(60);
    const memberAt = context.clock.now();
    const memberLogin = await act("POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(memberLogin.body.status).toBe("authenticated");

    const signIns = (await eventsOf(root.cookie)).filter((event) => event.type === "session.signed_in");
    const [memberSignIn, rootSignIn] = signIns.filter((event) => event.clientAddress === CLIENT);
    expect(memberSignIn?.actor).toEqual(party(member, "member"));
    expect(memberSignIn?.subject).toEqual(party(member, "member"));
    expect(memberSignIn?.detail).toEqual({ secondFactor: false });
    expectFromClient(memberSignIn as AuditEvent, memberAt);
    expect(rootSignIn?.actor).toEqual(party(root, "root"));
    expect(rootSignIn?.subject).toEqual(party(root, "root"));
    expect(rootSignIn?.detail).toEqual({ secondFactor: false });
    expectFromClient(rootSignIn as AuditEvent, rootAt);
  });

  it("S8 a sign-in with a code is its code_accepted, not a session.signed_in; a refused password records neither", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const before = (await eventsOf(root.cookie)).filter((event) => event.type === "session.signed_in");
    const wrong = await act("POST", "/api/auth/root/login", {
      body: { email: root.email, password: "not it" },
    });
    expect(wrong.status).toBe(401);
    const login = await act("POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    context.clock.advance(30);
    const verified = await act("POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    const after = (await eventsOf(root.cookie)).filter((event) => event.type === "session.signed_in");
    expect(after).toEqual(before);
  });

  it("S8 audit gap: sign-out is recorded as session.signed_out, once for the session", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    context.clock.advance(60);
    const signedOutAt = context.clock.now();
    expect((await act("POST", "/api/auth/logout", { cookie: member.cookie })).status).toBe(204);
    context.clock.advance(60);
    expect((await act("POST", "/api/auth/logout", { cookie: member.cookie })).status).toBe(204);
    expect((await act("POST", "/api/auth/logout")).status).toBe(204);

    const signedOut = await onlyEvent(root.cookie, "session.signed_out");
    expect(signedOut.actor).toEqual(party(member, "member"));
    expect(signedOut.subject).toEqual(party(member, "member"));
    expect(signedOut.detail).toEqual({});
    expectFromClient(signedOut, signedOutAt);
    expect((await call(context, "GET", "/api/me", { cookie: member.cookie })).status).toBe(401);
  });
});

describe("S8 team events", () => {
  async function invite(root: Root, email: string) {
    const invited = await act("POST", "/api/team/members", {
      cookie: root.cookie,
      body: { email, password: PASSWORD, roles: ["auditor"] },
    });
    expect(invited.status).toBe(201);
    return { id: invited.body.id as string, email };
  }

  it("S8 member.roles_changed only for a change: the roles a member has, in another order, record nothing", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["auditor", "project_user"] });
    const patchRoles = (roles: string[]) =>
      act("PATCH", `/api/team/members/${member.id}`, { cookie: root.cookie, body: { roles } });
    expect((await patchRoles(["project_user", "auditor"])).status).toBe(200);
    expect((await patchRoles(["auditor", "project_user", "auditor"])).status).toBe(200);
    expect((await eventsOf(root.cookie)).map((event) => event.type)).not.toContain("member.roles_changed");
    expect((await patchRoles(["auditor"])).status).toBe(200);
    const changed = await onlyEvent(root.cookie, "member.roles_changed");
    expect(changed.detail).toEqual({ from: ["auditor", "project_user"], to: ["auditor"] });
  });

  it("S8 member.invited, member.status_changed and member.deleted; the event survives the deletion", async () => {
    const root = await createRoot(context);
    context.clock.advance(60);
    const invitedAt = context.clock.now();
    const member = await invite(root, "audited@example.com");
    const mail = await context.smtp.waitFor(member.email, /invited/);
    const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    const activated = await call(context, "POST", "/api/auth/member/activate", {
      body: { token, initialPassword: PASSWORD, newPassword: "a password of the member's own" },
    });
    expect(activated.status).toBe(200);

    context.clock.advance(60);
    const disabledAt = context.clock.now();
    expect(
      (
        await act("PATCH", `/api/team/members/${member.id}`, {
          cookie: root.cookie,
          body: { status: "disabled" },
        })
      ).status,
    ).toBe(200);
    context.clock.advance(60);
    const deletedAt = context.clock.now();
    expect((await act("DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie })).status).toBe(204);

    const invited = await onlyEvent(root.cookie, "member.invited");
    expect(invited.actor).toEqual(party(root, "root"));
    expect(invited.subject).toEqual(party(member, "member"));
    expectFromClient(invited, invitedAt);

    const changed = await onlyEvent(root.cookie, "member.status_changed");
    expect(changed.subject).toEqual(party(member, "member"));
    expect(changed.detail).toMatchObject({ from: "active", to: "disabled" });
    expectFromClient(changed, disabledAt);

    const deleted = await onlyEvent(root.cookie, "member.deleted");
    expect(deleted.actor).toEqual(party(root, "root"));
    expect(deleted.subject).toEqual(party(member, "member"));
    expect(deleted.detail).toEqual({ twoFactorMethod: null });
    expectFromClient(deleted, deletedAt);
  });

  it("S8 member.deleted says the member's 2FA went with it (the method), as a removal would", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    expect((await act("DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie })).status).toBe(204);
    const deleted = await onlyEvent(root.cookie, "member.deleted");
    expect(deleted.detail).toEqual({ twoFactorMethod: "totp" });
  });

  it("S8 an administrator's actions are recorded with the administrator as actor", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const target = await createMember(context, root);
    await act("PATCH", `/api/team/members/${target.id}`, {
      cookie: admin.cookie,
      body: { status: "disabled" },
    });
    const changed = await onlyEvent(root.cookie, "member.status_changed");
    expect(changed.actor).toEqual(party(admin, "member"));
    expect(changed.subject).toEqual(party(target, "member"));
  });

  it("S8 without a trusted proxy header the client address is not taken from a spoofable header", async () => {
    const root = await createRoot(context);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
      headers: { "user-agent": AGENT },
    });
    const event = await onlyEvent(root.cookie, "two_factor.setup_started");
    expect(event.clientAddress).not.toBe(CLIENT);
    expect(event.userAgent).toBe(AGENT);
  });

  it("S8 with one trusted hop the address is the last X-Forwarded-For entry, not a client-supplied first one", async () => {
    const root = await createRoot(context);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
      headers: { "x-forwarded-for": `198.51.100.99, ${CLIENT}` },
    });
    const event = await onlyEvent(root.cookie, "two_factor.setup_started");
    expect(event.clientAddress).toBe(CLIENT);
  });
  it("S8 an IPv4 client reached over a dual-stack socket is recorded as 127.0.0.1, not ::ffff:127.0.0.1", async () => {
    const root = await createRoot(context);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
      headers: { "x-forwarded-for": "::ffff:203.0.113.7" },
    });
    const event = await onlyEvent(root.cookie, "two_factor.setup_started");
    expect(event.clientAddress).toBe("203.0.113.7");
  });

  it("S8 an event names the client's browser and OS, and keeps the raw user agent for the detail view", async () => {
    const root = await createRoot(context);
    const chromeOnMac =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
      headers: { "user-agent": chromeOnMac },
    });
    const event = await onlyEvent(root.cookie, "two_factor.setup_started");
    expect(event).toMatchObject({ browser: "Chrome", os: "macOS", userAgent: chromeOnMac });
    const unknown = await onlyEvent(root.cookie, "root.signed_up");
    expect(unknown).toMatchObject({ browser: null, os: null });
  });
});

describe("S8 reading the audit log", () => {
  it("S8 pagination: newest first, cursor and limit, nextCursor null at the end, no event twice", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    for (let round = 0; round < 3; round++) {
      context.clock.advance(60);
      await act("PATCH", `/api/team/members/${member.id}`, {
        cookie: root.cookie,
        body: { status: "disabled" },
      });
      context.clock.advance(60);
      await act("PATCH", `/api/team/members/${member.id}`, {
        cookie: root.cookie,
        body: { status: "active" },
      });
    }
    const all = await eventsOf(root.cookie);
    expect(all.length).toBeGreaterThanOrEqual(8);
    const times = all.map((event) => event.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all[0]?.type).toBe("member.status_changed");
    expect(all[0]?.detail).toMatchObject({ to: "active" });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? "limit=3" : `limit=3&cursor=${cursor}`;
      const page = await call(context, "GET", `/api/team/audit-events?${query}`, { cookie: root.cookie });
      expect(page.status).toBe(200);
      expect(page.body.events.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.events.map((event: AuditEvent) => event.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    expect(cursor).toBeNull();
    expect(pages).toBe(Math.ceil(all.length / 3));
    expect(seen).toEqual(all.map((event) => event.id));
  });

  it("S8 a page that ends exactly at the last event has nextCursor null", async () => {
    const root = await createRoot(context);
    const all = await eventsOf(root.cookie);
    const page = await call(context, "GET", `/api/team/audit-events?limit=${all.length}`, {
      cookie: root.cookie,
    });
    expect(page.body.events).toHaveLength(all.length);
    expect(page.body.nextCursor).toBeNull();
    const shorter = await call(context, "GET", "/api/team/audit-events?limit=1", { cookie: root.cookie });
    if (all.length > 1) expect(shorter.body.nextCursor).not.toBeNull();
    expect(shorter.body.events).toHaveLength(1);
  });

  it.each<[string, number]>([
    ["root", 200],
    ["administrator", 200],
    ["auditor", 200],
    ["project_user", 403],
    ["project_admin", 403],
    ["accountant", 403],
  ])("S8 the audit log read by %s → %i", async (who, status) => {
    const root = await createRoot(context);
    const reader = who === "root" ? root : await createMember(context, root, { roles: [who] });
    await startTotp(root.cookie);
    const response = await call(context, "GET", "/api/team/audit-events", { cookie: reader.cookie });
    expect(response.status).toBe(status);
    if (status === 200) {
      expect(
        response.body.events.some((event: AuditEvent) => event.type === "two_factor.setup_started"),
      ).toBe(true);
    } else {
      expect(response.body.error.code).toBe("FORBIDDEN");
      expect(JSON.stringify(response.body)).not.toContain("setup_started");
    }
  });

  it("S8 the audit log needs a session → 401", async () => {
    const response = await call(context, "GET", "/api/team/audit-events");
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
  });
});
