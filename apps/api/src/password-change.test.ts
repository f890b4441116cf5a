import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, passwordThrottles, users } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  INITIAL_PASSWORD,
  openChallenge,
  PASSWORD,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });
const NEW_PASSWORD = "a password of my very own";
const ADDRESS = "198.51.100.7";
const BROWSER =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const from = (address = ADDRESS) => ({ "x-forwarded-for": address, "user-agent": BROWSER });

function changePassword(cookie: string, body: Record<string, unknown>, address = ADDRESS) {
  return call(context, "POST", "/api/me/password", { cookie, body, headers: from(address) });
}

function rootLogin(email: string, password: string, address = "203.0.113.5") {
  return call(context, "POST", "/api/auth/root/login", {
    body: { email, password },
    headers: from(address),
  });
}

function memberLogin(root: { accountId: string }, email: string, password: string) {
  return call(context, "POST", "/api/auth/member/login", {
    body: { accountId: root.accountId, email, password },
    headers: from("203.0.113.6"),
  });
}

function tokenIn(text: string): string {
  const token = /token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no token in ${text}`);
  return token;
}

function activate(token: string, initialPassword: string, newPassword: string) {
  return call(context, "POST", "/api/auth/member/activate", {
    body: { token, initialPassword, newPassword },
    headers: from(),
  });
}

async function userRow(id: string) {
  const [row] = await context.deps.db.select().from(users).where(eq(users.id, id));
  if (!row) throw new Error(`no user ${id}`);
  return row;
}

async function eventsOf(type: string, subjectId: string) {
  return context.deps.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.type, type), eq(auditEvents.subjectId, subjectId)));
}

/** The password failures charged now (S3): sign-up's own budget and given-back keys left out. */
async function throttleCounts(): Promise<Record<string, number>> {
  const rows = await context.deps.db.select().from(passwordThrottles);
  return Object.fromEntries(
    rows.filter((row) => row.count > 0 && !row.key.startsWith("sign-up:")).map((row) => [row.key, row.count]),
  );
}

describe("§6.2 change password", () => {
  it("§6.2 the right current password → 204: the old one fails, the new one works, other sessions end, this one is kept, a notice is mailed, audited", async () => {
    const root = await createRoot(context);
    const other = await rootLogin(root.email, PASSWORD);
    expect((await call(context, "GET", "/api/me", { cookie: other.cookie })).status).toBe(200);

    const changed = await changePassword(root.cookie, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(204);
    expect(changed.cookie).toBeUndefined();

    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(200);
    const ended = await call(context, "GET", "/api/me", { cookie: other.cookie });
    expect(ended.status).toBe(401);
    expect(ended.body.error.code).toBe("UNAUTHENTICATED");

    const old = await rootLogin(root.email, PASSWORD);
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe("INVALID_CREDENTIALS");
    const fresh = await rootLogin(root.email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect(fresh.body.status).toBe("authenticated");

    const notice = await context.smtp.waitFor(root.email, /password was changed/);
    expect(notice.text).toContain(context.clock.now().toISOString());
    expect(notice.text).toContain(ADDRESS);
    expect(notice.text).toMatch(/Chrome/);
    expect(notice.text).not.toContain(NEW_PASSWORD);

    const [event, ...more] = await eventsOf("account.password_changed", root.id);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ actorId: root.id, clientAddress: ADDRESS });
    expect(JSON.stringify(event)).not.toContain(NEW_PASSWORD);
  });

  it("§6.2 an open sign-in challenge ends with the change: its right code opens nothing", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const challengeId = await openChallenge(context, root.email);
    const changed = await changePassword(root.cookie, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(204);
    context.clock.advance(30);
    const verified = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(verified.status).toBeGreaterThanOrEqual(400);
    expect(verified.cookie).toBeUndefined();
  });

  it("§6.2 a member changes its password: it signs in with the new one only", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    expect(
      (await changePassword(member.cookie, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status,
    ).toBe(204);
    expect((await memberLogin(root, member.email, PASSWORD)).status).toBe(401);
    expect((await memberLogin(root, member.email, NEW_PASSWORD)).body.status).toBe("authenticated");
  });

  it("§6.2 S3 a wrong current password → 400 INVALID_CREDENTIALS, charged on the sign-in budget: after ten, 429 here and at sign-in", async () => {
    const root = await createRoot(context);
    const hashBefore = (await userRow(root.id)).passwordHash;
    for (let index = 0; index < 10; index++) {
      const wrong = await changePassword(root.cookie, {
        currentPassword: `guess number ${index}`,
        newPassword: NEW_PASSWORD,
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    }
    expect(await throttleCounts()).toMatchObject({
      [`account:root:${root.email}`]: 10,
      [`reauth:${root.id}`]: 10,
      [`address:${ADDRESS}`]: 10,
    });
    const refused = await changePassword(root.cookie, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(refused.headers.get("retry-after"))).toBe(15 * 60);
    const login = await rootLogin(root.email, PASSWORD, "192.0.2.99");
    expect(login.status).toBe(429);
    expect((await userRow(root.id)).passwordHash).toBe(hashBefore);
    expect(await eventsOf("account.password_changed", root.id)).toEqual([]);

    context.clock.advance(15 * 60);
    expect(
      (await changePassword(root.cookie, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status,
    ).toBe(204);
  });

  it("§6.2 S3 a right current password is given back: changing back and forth never locks the account", async () => {
    const root = await createRoot(context);
    const passwords = [PASSWORD, NEW_PASSWORD];
    for (let index = 0; index < 12; index++) {
      const [current, next] = index % 2 === 0 ? passwords : [...passwords].reverse();
      expect(
        (await changePassword(root.cookie, { currentPassword: current, newPassword: next })).status,
      ).toBe(204);
    }
    const counts = await throttleCounts();
    expect(counts[`reauth:${root.id}`] ?? 0).toBe(0);
    expect(counts[`account:root:${root.email}`] ?? 0).toBe(0);
  });

  it("§6.2 with 2FA on and no code in the last 10 minutes → 403 STEP_UP_REQUIRED, nothing charged; after a step-up → 204", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(10 * 60 + 1);
    const held = await changePassword(root.cookie, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(held.status).toBe(403);
    expect(held.body.error.code).toBe("STEP_UP_REQUIRED");
    expect(await throttleCounts()).toEqual({});
    const wrongToo = await changePassword(root.cookie, {
      currentPassword: "wrong",
      newPassword: NEW_PASSWORD,
    });
    expect(wrongToo.body.error.code).toBe("STEP_UP_REQUIRED");

    const steppedUp = await call(context, "POST", "/api/me/step-up", {
      cookie: root.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(steppedUp.status).toBe(200);
    const changed = await changePassword(root.cookie, {
      currentPassword: PASSWORD,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(204);
    // The 2FA is untouched: the new password still asks for the code.
    expect((await rootLogin(root.email, NEW_PASSWORD)).body.status).toBe("two_factor_required");
  });

  it.each([
    ["too_short", "short one"],
    ["common", "password1234"],
    ["same_as_current", PASSWORD],
  ])(
    "§6.2 §6.3 a new password refused as %s → 400 WEAK_PASSWORD on newPassword, nothing changed or charged",
    async (reason, newPassword) => {
      const root = await createRoot(context);
      const before = await userRow(root.id);
      // Refused before the current password is checked (a wrong one too), except for the current one itself.
      const typed = reason === "same_as_current" ? [PASSWORD] : [PASSWORD, "not the current one"];
      for (const currentPassword of typed) {
        const refused = await changePassword(root.cookie, { currentPassword, newPassword });
        expect(refused.status).toBe(400);
        expect(refused.body.error).toMatchObject({ code: "WEAK_PASSWORD", reason, field: "newPassword" });
      }
      expect(await userRow(root.id)).toEqual(before);
      expect(await throttleCounts()).toEqual({});
      expect(await eventsOf("account.password_changed", root.id)).toEqual([]);
    },
  );

  it("§6.2 §6.3 the email address as the new password → 400 WEAK_PASSWORD same_as_email", async () => {
    const root = await createRoot(context);
    const refused = await changePassword(root.cookie, {
      currentPassword: PASSWORD,
      newPassword: root.email.toUpperCase(),
    });
    expect(refused.body.error).toMatchObject({ code: "WEAK_PASSWORD", reason: "same_as_email" });
  });

  it("§6.2 two changes at once from one session: exactly one new password is set, the other is refused", async () => {
    const root = await createRoot(context);
    const results = await Promise.all(
      [NEW_PASSWORD, "another password of mine"].map((newPassword) =>
        changePassword(root.cookie, { currentPassword: PASSWORD, newPassword }),
      ),
    );
    expect(results.map((result) => result.status).sort()).toEqual([204, 400]);
    const winner = results[0]?.status === 204 ? NEW_PASSWORD : "another password of mine";
    const loser = winner === NEW_PASSWORD ? "another password of mine" : NEW_PASSWORD;
    expect((await rootLogin(root.email, winner)).body.status).toBe("authenticated");
    expect((await rootLogin(root.email, loser)).status).toBe(401);
    expect(await eventsOf("account.password_changed", root.id)).toHaveLength(1);
  });

  it("§6.2 without a session → 401, and nothing is changed", async () => {
    const response = await call(context, "POST", "/api/me/password", {
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
  });
});

describe("§6.2 activation: no member keeps its inviter's password", () => {
  async function invited() {
    const root = await createRoot(context);
    const member = await createMember(context, root, { activate: false });
    const token = tokenIn((await context.smtp.waitFor(member.email, /invited/)).text);
    return { root, member, token };
  }

  it("§6.2 the inviter's password stops working at activation; the member's own works; activation signs nobody in", async () => {
    const { root, member, token } = await invited();
    const activated = await activate(token, INITIAL_PASSWORD, NEW_PASSWORD);
    expect(activated.status).toBe(200);
    expect(activated.body).toEqual({ status: "ok", accountId: root.accountId, email: member.email });
    expect(activated.cookie).toBeUndefined();
    expect(activated.headers.get("set-cookie")).toBeNull();

    const inviters = await memberLogin(root, member.email, INITIAL_PASSWORD);
    expect(inviters.status).toBe(401);
    expect(inviters.body.error.code).toBe("INVALID_CREDENTIALS");
    const own = await memberLogin(root, member.email, NEW_PASSWORD);
    expect(own.body.status).toBe("authenticated");
    const me = await call(context, "GET", "/api/me", { cookie: own.cookie });
    expect(me.body).toMatchObject({ status: "active", passwordChangeRequired: false });
    expect(await eventsOf("member.activated", member.id)).toHaveLength(1);
  });

  it("§6.2 S3 a wrong initial password → 400 INVALID_CREDENTIALS, charged like a sign-in; the link still works", async () => {
    const { root, member, token } = await invited();
    const wrong = await activate(token, "not what the inviter chose", NEW_PASSWORD);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(await throttleCounts()).toMatchObject({
      [`account:member:${root.accountId}:${member.email}`]: 1,
      [`address:${ADDRESS}`]: 1,
    });
    expect((await userRow(member.id)).status).toBe("pending");
    expect(await eventsOf("member.activated", member.id)).toEqual([]);

    const right = await activate(token, INITIAL_PASSWORD, NEW_PASSWORD);
    expect(right.status).toBe(200);
    expect((await memberLogin(root, member.email, NEW_PASSWORD)).body.status).toBe("authenticated");
  });

  it("§6.2 S3 ten wrong initial passwords → then 429 at activation and at sign-in", async () => {
    const { root, member, token } = await invited();
    for (let index = 0; index < 10; index++) {
      expect((await activate(token, `guess ${index} of ten`, NEW_PASSWORD)).status).toBe(400);
    }
    const refused = await activate(token, INITIAL_PASSWORD, NEW_PASSWORD);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect((await userRow(member.id)).status).toBe("pending");
    expect((await memberLogin(root, member.email, INITIAL_PASSWORD)).status).toBe(429);
    context.clock.advance(15 * 60);
    expect((await activate(token, INITIAL_PASSWORD, NEW_PASSWORD)).status).toBe(200);
  });

  it.each([
    ["same_as_current", INITIAL_PASSWORD],
    ["too_short", "tiny"],
    ["common", "qwertyuiop123"],
  ])(
    "§6.2 §6.3 a new password refused as %s at activation → 400 WEAK_PASSWORD, still pending, nothing charged, the link still works",
    async (reason, newPassword) => {
      const { member, token } = await invited();
      const refused = await activate(token, INITIAL_PASSWORD, newPassword);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: "WEAK_PASSWORD", reason, field: "newPassword" });
      expect((await userRow(member.id)).status).toBe("pending");
      expect(await throttleCounts()).toEqual({});
      expect((await activate(token, INITIAL_PASSWORD, NEW_PASSWORD)).status).toBe(200);
    },
  );

  it("§6.2 two activations of one link at once: exactly one succeeds", async () => {
    const { root, member, token } = await invited();
    const results = await Promise.all([
      activate(token, INITIAL_PASSWORD, NEW_PASSWORD),
      activate(token, INITIAL_PASSWORD, "another password of mine"),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual([200, 400]);
    expect(results.find((result) => result.status === 400)?.body.error.code).toBe("INVALID_TOKEN");
    const winner = results[0]?.status === 200 ? NEW_PASSWORD : "another password of mine";
    expect((await memberLogin(root, member.email, winner)).body.status).toBe("authenticated");
    expect(await eventsOf("member.activated", member.id)).toHaveLength(1);
  });

  it("§6.2 a used or unknown link → 400 INVALID_TOKEN before any password is checked", async () => {
    const { token } = await invited();
    expect((await activate(token, INITIAL_PASSWORD, NEW_PASSWORD)).status).toBe(200);
    const again = await activate(token, INITIAL_PASSWORD, "yet another password of mine");
    expect(again.body.error.code).toBe("INVALID_TOKEN");
    const unknown = await activate("A".repeat(43), INITIAL_PASSWORD, NEW_PASSWORD);
    expect(unknown.body.error.code).toBe("INVALID_TOKEN");
    expect(await throttleCounts()).toEqual({});
  });
});
