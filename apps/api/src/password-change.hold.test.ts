import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  INITIAL_PASSWORD,
  PASSWORD,
  totpNow,
  useTestApp,
} from "./test/harness.js";
import { databaseBefore } from "./test/scratch-database.js";

const context = useTestApp();
const NEW_PASSWORD = "a password of my very own";

/** As migration 0009 marks a member activated before §6.2: still on the password its inviter chose. */
async function holdToPasswordChange(memberId: string): Promise<void> {
  await context.deps.db.update(users).set({ mustChangePassword: true }).where(eq(users.id, memberId));
}

/** Every documented operation, as "METHOD /api/path". */
async function documentedOperations(): Promise<{ method: string; path: string }[]> {
  const document = await call(context, "GET", "/api/openapi.json");
  return Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(
    ([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
}

/** §6.2: what a member on its inviter's password may still reach besides sign-in (public) and sign-out. */
const OPEN_DURING_HOLD = ["GET /me", "POST /me/password", "GET /session"];
/** Operations outside /auth/ that take no session at all: a mailed link's token alone, a service's credential. */
const SESSIONLESS = ["POST /me/email/confirm", "POST /introspect"];

describe("§6.2 a member activated before §6.2 is held to PASSWORD_CHANGE_REQUIRED until it sets its own password", () => {
  it("§6.2 GET /api/me and GET /api/session answer with passwordChangeRequired: true", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await holdToPasswordChange(member.id);
    const me = await call(context, "GET", "/api/me", { cookie: member.cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: member.id, passwordChangeRequired: true });
    const session = await call(context, "GET", "/api/session", { cookie: member.cookie });
    expect(session.status).toBe(200);
    expect(session.body.me).toMatchObject({ id: member.id, passwordChangeRequired: true });
    const rootMe = await call(context, "GET", "/api/me", { cookie: root.cookie });
    expect(rootMe.body.passwordChangeRequired).toBe(false);
  });

  it("§6.2 every other signed-in operation → 403 PASSWORD_CHANGE_REQUIRED, nothing done", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const other = await createMember(context, root);
    await holdToPasswordChange(admin.id);
    const operations = (await documentedOperations()).filter(
      ({ path }) => !path.startsWith("/auth/") && !OPEN_DURING_HOLD.includes(`GET ${path}`),
    );
    expect(operations.length).toBeGreaterThanOrEqual(15);
    for (const { method, path } of operations) {
      const label = `${method} ${path}`;
      if (OPEN_DURING_HOLD.includes(label) || SESSIONLESS.includes(label)) continue;
      const concrete = path.replace(/\{[^}]+\}/g, other.id);
      const response = await call(context, method, `/api${concrete}`, {
        cookie: admin.cookie,
        ...(method !== "GET" && { body: {} }),
      });
      expect(response.status, label).toBe(403);
      expect(response.body.error.code, label).toBe("PASSWORD_CHANGE_REQUIRED");
    }
    // Spot checks with bodies that would otherwise be accepted.
    const setup = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: admin.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    expect(setup.body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");
    const disable = await call(context, "PATCH", `/api/team/members/${other.id}`, {
      cookie: admin.cookie,
      body: { status: "disabled" },
    });
    expect(disable.body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");
    const team = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
    expect(team.body.members.find((row: { id: string }) => row.id === other.id)).toMatchObject({
      status: "active",
    });
  });

  it("§6.2 a held member with 2FA cannot step up either (the step-up opens nothing held)", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const secret = await enableTotp(context, member.cookie);
    await holdToPasswordChange(member.id);
    context.clock.advance(30);
    const stepUp = await call(context, "POST", "/api/me/step-up", {
      cookie: member.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(stepUp.status).toBe(403);
    expect(stepUp.body.error.code).toBe("PASSWORD_CHANGE_REQUIRED");
  });

  it("§6.2 sign-out works during the hold", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await holdToPasswordChange(member.id);
    const out = await call(context, "POST", "/api/auth/logout", { cookie: member.cookie });
    expect(out.status).toBe(204);
    expect((await call(context, "GET", "/api/me", { cookie: member.cookie })).status).toBe(401);
  });

  it("§6.2 a held member signs in with its inviter's password, changes it, and is then free; the old one no longer works", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    await holdToPasswordChange(member.id);
    const signIn = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(signIn.body.status).toBe("authenticated");
    const cookie = signIn.cookie as string;
    expect((await call(context, "GET", "/api/team/members", { cookie })).status).toBe(403);

    const changed = await call(context, "POST", "/api/me/password", {
      cookie,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(changed.status).toBe(204);
    expect((await call(context, "GET", "/api/me", { cookie })).body.passwordChangeRequired).toBe(false);
    expect((await call(context, "GET", "/api/team/members", { cookie })).status).toBe(200);
    // The other session (createMember's) ended with the change.
    expect((await call(context, "GET", "/api/me", { cookie: member.cookie })).status).toBe(401);
    const old = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(old.status).toBe(401);
    expect((await context.deps.db.select().from(users).where(eq(users.id, member.id)))[0]).toMatchObject({
      mustChangePassword: false,
    });
  });

  it("§6.2 the hold is kept by a refused change (wrong current password, weak new one)", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await holdToPasswordChange(member.id);
    for (const body of [
      { currentPassword: "not the password", newPassword: NEW_PASSWORD },
      { currentPassword: PASSWORD, newPassword: PASSWORD },
      { currentPassword: PASSWORD, newPassword: "short" },
    ]) {
      expect((await call(context, "POST", "/api/me/password", { cookie: member.cookie, body })).status).toBe(
        400,
      );
    }
    expect(
      (await call(context, "GET", "/api/me", { cookie: member.cookie })).body.passwordChangeRequired,
    ).toBe(true);
  });

  it("§6.2 a member activated now (initial password replaced at activation) is not held", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const me = await call(context, "GET", "/api/me", { cookie: member.cookie });
    expect(me.body.passwordChangeRequired).toBe(false);
    expect(INITIAL_PASSWORD).not.toBe(PASSWORD);
  });
});

describe("§6.2 migration 0009 marks the members activated before §6.2", () => {
  it("§6.2 active and disabled members must change their password; pending members and root users not", async () => {
    const database = await databaseBefore("0009");
    try {
      await database.run(`insert into accounts (id, created_at) values ('acc_1', now());
        insert into users (id, account_id, kind, email, email_normalized, password_hash, status, created_at) values
          ('usr_root', 'acc_1', 'root', 'root@example.com', 'root@example.com', 'h', 'active', now()),
          ('mem_active', 'acc_1', 'member', 'a@example.com', 'a@example.com', 'h', 'active', now()),
          ('mem_disabled', 'acc_1', 'member', 'd@example.com', 'd@example.com', 'h', 'disabled', now()),
          ('mem_pending', 'acc_1', 'member', 'p@example.com', 'p@example.com', 'h', 'pending', now());`);
      await database.migrate("0009_account_lifecycle");
      const rows = await database.rows<{ id: string; must_change_password: boolean }>(
        "select id, must_change_password from users order by id",
      );
      expect(Object.fromEntries(rows.map((row) => [row.id, row.must_change_password]))).toEqual({
        mem_active: true,
        mem_disabled: true,
        mem_pending: false,
        usr_root: false,
      });
    } finally {
      await database.close();
    }
  });
});
