import { describe, expect, it } from "vitest";
import {
  type ApiResponse,
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  START,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

// Require 2FA for members (issue 5, team 2FA governance): the team policy, its grace deadline, the
// restricted session of a member who must enrol, and the Team page's compliance counts and 2FA filter.
const context = useTestApp();

type Root = Awaited<ReturnType<typeof createRoot>>;
const DAY_IN_SECONDS = 24 * 60 * 60;
const inDays = (days: number) => new Date(START.getTime() + days * DAY_IN_SECONDS * 1000).toISOString();
const defaults = { requireMemberTwoFactor: false, memberTwoFactorDeadline: null };
const POLICY = "/api/team/settings/two-factor-policy";

const readPolicy = (cookie: string) => call(context, "GET", POLICY, { cookie });
const patchPolicy = (cookie: string, body: unknown) => call(context, "PATCH", POLICY, { cookie, body });
const memberLogin = (root: Root, email: string) =>
  call(context, "POST", "/api/auth/member/login", {
    body: { accountId: root.accountId, email, password: PASSWORD },
  });
const me = (cookie: string | undefined) => call(context, "GET", "/api/me", { cookie });
const listTeam = (cookie: string | undefined, query = "") =>
  call(context, "GET", `/api/team/members${query}`, { cookie });

function expectEnrolmentRequired(response: ApiResponse) {
  expect(response.status).toBe(403);
  expect(response.body.error.code).toBe("TWO_FACTOR_ENROLMENT_REQUIRED");
}

describe("Require 2FA for members: the team policy, a team setting of the root user", () => {
  it("the root user reads and sets the policy and its deadline; the change is audited", async () => {
    const root = await createRoot(context);
    expect((await readPolicy(root.cookie)).body).toEqual(defaults);

    const deadline = "2026-03-07T10:00:00+01:00";
    const updated = await patchPolicy(root.cookie, {
      requireMemberTwoFactor: true,
      memberTwoFactorDeadline: deadline,
    });
    expect(updated.status).toBe(200);
    const expected = {
      ...defaults,
      requireMemberTwoFactor: true,
      memberTwoFactorDeadline: "2026-03-07T09:00:00.000Z",
    };
    expect(updated.body).toEqual(expected);
    expect((await readPolicy(root.cookie)).body).toEqual(expected);

    // Any subset: the deadline alone changes, the rest stays; null removes it.
    const cleared = await patchPolicy(root.cookie, { memberTwoFactorDeadline: null });
    expect(cleared.body).toEqual({ ...expected, memberTwoFactorDeadline: null });

    const audit = await call(context, "GET", "/api/team/audit-events", { cookie: root.cookie });
    const changes = audit.body.events.filter(
      (event: { type: string }) => event.type === "team.settings_changed",
    );
    expect(changes.map((event: { detail: unknown }) => event.detail)).toEqual([
      { memberTwoFactorDeadline: null },
      { requireMemberTwoFactor: true, memberTwoFactorDeadline: "2026-03-07T09:00:00.000Z" },
    ]);
    expect(changes[0].actor.id).toBe(root.id);
  });

  it("a deadline in the past is accepted: the requirement is in force at once", async () => {
    const root = await createRoot(context);
    const updated = await patchPolicy(root.cookie, {
      requireMemberTwoFactor: true,
      memberTwoFactorDeadline: "2020-01-01T00:00:00Z",
    });
    expect(updated.status).toBe(200);
    const member = await createMember(context, root);
    expect((await me(member.cookie)).body.twoFactorPolicy).toEqual({
      required: true,
      deadline: "2020-01-01T00:00:00.000Z",
      enrolment: "required_now",
      daysLeft: null,
    });
  });

  it("only the root user changes the policy: an administrator gets 403 FORBIDDEN and nothing changes", async () => {
    const root = await createRoot(context);
    const administrator = await createMember(context, root, { roles: ["administrator"] });
    const refused = await patchPolicy(administrator.cookie, { requireMemberTwoFactor: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("FORBIDDEN");
    expect((await readPolicy(root.cookie)).body).toEqual(defaults);
    // Any signed-in user of the team reads the policy; the other team settings keep their shape.
    expect((await readPolicy(administrator.cookie)).body).toEqual(defaults);
    expect((await call(context, "GET", "/api/team/settings", { cookie: root.cookie })).body).toEqual({
      allowMemberRecoveryCodes: false,
    });
    expect((await call(context, "GET", POLICY)).status).toBe(401);
  });

  it.each([
    ["an empty body", {}],
    ["a string for the switch", { requireMemberTwoFactor: "yes" }],
    ["a deadline that is no date", { requireMemberTwoFactor: true, memberTwoFactorDeadline: "tomorrow" }],
    ["a date without a time", { requireMemberTwoFactor: true, memberTwoFactorDeadline: "2026-03-07" }],
    [
      "a date-time without a zone",
      { requireMemberTwoFactor: true, memberTwoFactorDeadline: "2026-03-07T10:00:00" },
    ],
    ["30 February", { requireMemberTwoFactor: true, memberTwoFactorDeadline: "2026-02-30T10:00:00Z" }],
    ["a number for the deadline", { requireMemberTwoFactor: true, memberTwoFactorDeadline: 1_772_000_000 }],
    ["an unknown field", { requireMemberTwoFactor: true, requireRootTwoFactor: true }],
    ["another setting's field", { requireMemberTwoFactor: true, allowMemberRecoveryCodes: true }],
  ])("bad input (%s) is 400 VALIDATION_FAILED and changes nothing", async (_label, body) => {
    const root = await createRoot(context);
    const refused = await patchPolicy(root.cookie, body);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("VALIDATION_FAILED");
    expect((await readPolicy(root.cookie)).body).toEqual(defaults);
  });
});

describe("Require 2FA for members: grace before the deadline", () => {
  it("a member signs in normally and /api/me counts the days left, up to the deadline exactly", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true, memberTwoFactorDeadline: inDays(5) });

    const login = await memberLogin(root, member.email);
    expect(login.body).toEqual({ status: "authenticated", userId: member.id });
    expect((await me(login.cookie)).body.twoFactorPolicy).toEqual({
      required: true,
      deadline: inDays(5),
      enrolment: "grace",
      daysLeft: 5,
    });
    expect((await listTeam(login.cookie)).status).toBe(200);

    context.clock.advance(DAY_IN_SECONDS + 1); // 3 days 23:59:59 left: counted up to 4
    const later = await memberLogin(root, member.email);
    expect((await me(later.cookie)).body.twoFactorPolicy).toMatchObject({ enrolment: "grace", daysLeft: 4 });

    context.clock.set(new Date(inDays(5)));
    const atDeadline = await memberLogin(root, member.email);
    expect(atDeadline.body).toEqual({ status: "authenticated", userId: member.id, enrolmentRequired: true });
    expect((await me(atDeadline.cookie)).body.twoFactorPolicy).toMatchObject({ enrolment: "required_now" });
  });
});

describe("Require 2FA for members: after the deadline a member without 2FA gets nothing but the setup", () => {
  it("signs in to a restricted session: every other endpoint is 403, setup and confirm work, then all opens", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    const other = await createMember(context, root);
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true });

    const login = await memberLogin(root, member.email);
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ status: "authenticated", userId: member.id, enrolmentRequired: true });
    const cookie = login.cookie;
    expect(cookie).toBeDefined();

    const profile = await me(cookie);
    expect(profile.status).toBe(200);
    expect(profile.body.twoFactorPolicy).toEqual({
      required: true,
      deadline: null,
      enrolment: "required_now",
      daysLeft: null,
    });
    expect((await readPolicy(cookie as string)).body.requireMemberTwoFactor).toBe(true);
    expect((await call(context, "GET", "/api/team/settings", { cookie })).status).toBe(200);

    const refused = [
      await listTeam(cookie),
      await call(context, "GET", "/api/team/audit-events", { cookie }),
      await call(context, "POST", "/api/team/members", {
        cookie,
        body: { email: "newcomer@example.com", password: PASSWORD, roles: ["project_user"] },
      }),
      await call(context, "PATCH", `/api/team/members/${other.id}`, { cookie, body: { status: "disabled" } }),
      await call(context, "DELETE", `/api/team/members/${other.id}`, { cookie }),
      await call(context, "PATCH", POLICY, { cookie, body: { requireMemberTwoFactor: false } }),
      await call(context, "PATCH", "/api/team/settings", {
        cookie,
        body: { allowMemberRecoveryCodes: true },
      }),
      await call(context, "POST", "/api/me/two-factor/code", { cookie }),
      await call(context, "DELETE", "/api/me/two-factor", { cookie, body: { code: "123456" } }),
    ];
    for (const response of refused) expectEnrolmentRequired(response);
    const team = await listTeam(root.cookie);
    expect(team.body.members.some((m: { email: string }) => m.email === "newcomer@example.com")).toBe(false);
    expect(team.body.members.find((m: { id: string }) => m.id === other.id)?.status).toBe("active");
    expect((await readPolicy(root.cookie)).body.requireMemberTwoFactor).toBe(true);

    await enableTotp(context, cookie as string); // R1: an active member enrols; the same session carries on
    expect((await me(cookie)).body.twoFactorPolicy).toMatchObject({ enrolment: "not_required" });
    expect((await listTeam(cookie)).status).toBe(200);
    expect((await call(context, "GET", "/api/team/audit-events", { cookie })).status).toBe(200);
  });

  it("sign-out works in a restricted session", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true });
    const { cookie } = await memberLogin(root, member.email);
    expect((await call(context, "POST", "/api/auth/logout", { cookie })).status).toBe(204);
    expect((await me(cookie)).status).toBe(401);
  });

  it("R6 an SSO member is exempt: signs in and uses the API as before", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { sso: true },
    });
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true });

    const login = await memberLogin(root, member.email);
    expect(login.body).toEqual({ status: "authenticated", userId: member.id });
    expect((await me(login.cookie)).body.twoFactorPolicy).toMatchObject({
      required: true,
      enrolment: "not_required",
    });
    expect((await listTeam(login.cookie)).status).toBe(200);
  });

  it("a member with 2FA is compliant: the challenge opens a full session", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    const secret = await enableTotp(context, member.cookie);
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true });
    context.clock.advance(30);

    const login = await memberLogin(root, member.email);
    expect(login.body.status).toBe("two_factor_required");
    const verified = await verifyCode(context, login.body.challengeId, totpNow(context, secret));
    expect(verified.body).toEqual({ status: "authenticated", userId: member.id });
    expect((await listTeam(verified.cookie)).status).toBe(200);
  });

  it("the root user is never restricted by the members' policy", async () => {
    const root = await createRoot(context);
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true });
    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.body).toEqual({ status: "authenticated", userId: root.id });
    expect((await me(login.cookie)).body.twoFactorPolicy).toEqual({
      required: true,
      deadline: null,
      enrolment: "not_required",
      daysLeft: null,
    });
    expect((await listTeam(login.cookie)).status).toBe(200);
  });

  it("turning the policy on restricts a session already open; turning it off releases it", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    expect((await listTeam(member.cookie)).status).toBe(200);

    await patchPolicy(root.cookie, { requireMemberTwoFactor: true });
    expectEnrolmentRequired(await listTeam(member.cookie));
    expect((await me(member.cookie)).body.twoFactorPolicy.enrolment).toBe("required_now");

    await patchPolicy(root.cookie, { requireMemberTwoFactor: false });
    expect((await listTeam(member.cookie)).status).toBe(200);

    // A deadline still ahead puts the open session in grace, not in restriction.
    await patchPolicy(root.cookie, { requireMemberTwoFactor: true, memberTwoFactorDeadline: inDays(2) });
    expect((await listTeam(member.cookie)).status).toBe(200);
    expect((await me(member.cookie)).body.twoFactorPolicy).toMatchObject({ enrolment: "grace", daysLeft: 2 });
  });
});

describe("Require 2FA for members: the Team page's compliance counts and 2FA filter", () => {
  it("counts the whole team and filters the list by enabled, not enabled and exempt", async () => {
    const root = await createRoot(context);
    const auditor = await createMember(context, root, { roles: ["auditor"], email: "a-auditor@example.com" });
    const withTotp = await createMember(context, root, { email: "b-totp@example.com" });
    await enableTotp(context, withTotp.cookie);
    await enableTotp(context, auditor.cookie);
    const sso = await createMember(context, root, { email: "c-sso@example.com" });
    await call(context, "PATCH", `/api/team/members/${sso.id}`, { cookie: root.cookie, body: { sso: true } });
    await createMember(context, root, { email: "d-without@example.com" });
    await createMember(context, root, { email: "e-pending@example.com", activate: false });

    const compliance = { total: 5, enabled: 2, notEnabled: 2, exempt: 1, locked: 0 };
    const emailsOf = (response: ApiResponse) => response.body.members.map((m: { email: string }) => m.email);
    const all = await listTeam(root.cookie);
    expect(all.body.compliance).toEqual(compliance);
    expect(emailsOf(all)).toHaveLength(5);

    const cases: [string, string[]][] = [
      ["enabled", ["a-auditor@example.com", "b-totp@example.com"]],
      ["not_enabled", ["d-without@example.com", "e-pending@example.com"]],
      ["exempt", ["c-sso@example.com"]],
    ];
    for (const [filter, emails] of cases) {
      const filtered = await listTeam(root.cookie, `?twoFactor=${filter}`);
      expect(filtered.status).toBe(200);
      expect(emailsOf(filtered).sort()).toEqual(emails);
      expect(filtered.body.compliance).toEqual(compliance);
    }

    // An auditor sees the same counts.
    expect((await listTeam(auditor.cookie, "?twoFactor=exempt")).body).toMatchObject({
      compliance,
      members: [{ email: "c-sso@example.com" }],
    });
  });

  it("an unknown filter is 400 VALIDATION_FAILED", async () => {
    const root = await createRoot(context);
    const refused = await listTeam(root.cookie, "?twoFactor=off");
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("VALIDATION_FAILED");
  });
});
