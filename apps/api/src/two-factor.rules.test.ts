import { generateTotpCode } from "@cloud2fa/domain";
import { describe, expect, it } from "vitest";
import {
  call,
  codeFrom,
  createMember,
  createRoot,
  enableTotp,
  INITIAL_PASSWORD,
  PASSWORD,
  totpNow,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

type Root = Awaited<ReturnType<typeof createRoot>>;

async function me(cookie: string | undefined) {
  return call(context, "GET", "/api/me", { cookie });
}

async function startSetup(cookie: string | undefined, method: "totp" | "email", password = PASSWORD) {
  return call(context, "POST", "/api/me/two-factor/setup", { cookie, body: { method, password } });
}

async function confirmSetup(cookie: string | undefined, code: string) {
  return call(context, "POST", "/api/me/two-factor/setup/confirm", { cookie, body: { code } });
}

async function memberLogin(root: Root, email: string, password = PASSWORD) {
  return call(context, "POST", "/api/auth/member/login", {
    body: { accountId: root.accountId, email, password },
  });
}

async function rootLogin(email: string) {
  return call(context, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
}

async function memberTwoFactorInList(root: Root, memberId: string) {
  const list = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
  return list.body.members.find((member: { id: string }) => member.id === memberId)?.twoFactor;
}

function mailsTo(to: string, subject: RegExp) {
  return context.smtp.received.filter((mail) => mail.to === to && subject.test(mail.subject));
}

describe("R1 a member account must be active to configure 2FA", () => {
  it("R1 an active member can start and confirm a TOTP setup", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const started = await startSetup(member.cookie, "totp");
    expect(started.status).toBe(200);
    const confirmed = await confirmSetup(
      member.cookie,
      generateTotpCode({ secret: started.body.secret, at: context.clock.now() }),
    );
    expect(confirmed.status).toBe(200);
    expect((await me(member.cookie)).body).toMatchObject({ status: "active", twoFactor: { enabled: true } });
  });

  it("R1 a pending member is refused at sign-in (409 ACCOUNT_NOT_ACTIVE), so it never reaches setup", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { activate: false });
    const login = await memberLogin(root, member.email, INITIAL_PASSWORD);
    expect(login.status).toBe(409);
    expect(login.body.error.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(login.cookie).toBeUndefined();
    expect(await memberTwoFactorInList(root, member.id)).toMatchObject({ enabled: false });
  });

  it("R1 a member disabled after signing in loses its session and cannot set up; re-enabled it can", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const disabled = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "disabled" },
    });
    expect(disabled.status).toBe(200);

    const refused = await startSetup(member.cookie, "totp");
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("UNAUTHENTICATED");
    const login = await memberLogin(root, member.email);
    expect(login.status).toBe(409);
    expect(login.body.error.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(await memberTwoFactorInList(root, member.id)).toMatchObject({ enabled: false });

    await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "active" },
    });
    const again = await memberLogin(root, member.email);
    expect(again.body.status).toBe("authenticated");
    expect((await startSetup(again.cookie, "totp")).status).toBe(200);
  });
});

describe("R2 once 2FA is configured every sign-in requires a valid code", () => {
  it("R2 without 2FA the root password gives a session", async () => {
    const root = await createRoot(context);
    const login = await rootLogin(root.email);
    expect(login.status).toBe(200);
    expect(login.body.status).toBe("authenticated");
    expect((await me(login.cookie)).status).toBe(200);
  });

  it("R2 with 2FA the root password gives only a challenge: no cookie, and the challenge id opens nothing", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const login = await rootLogin(root.email);
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ status: "two_factor_required", method: "totp" });
    expect(login.body.challengeId).toMatch(/^chl_/);
    expect(login.cookie).toBeUndefined();
    expect(login.headers.get("set-cookie")).toBeNull();
    const asCookie = await me(`cloud2fa_session=${login.body.challengeId}`);
    expect(asCookie.status).toBe(401);
    expect(asCookie.body.error.code).toBe("UNAUTHENTICATED");

    context.clock.advance(30);
    const verified = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    expect((await me(verified.cookie)).status).toBe(200);
  });

  it("R2 a member with 2FA gets a challenge and no session; without 2FA a session", async () => {
    const root = await createRoot(context);
    const plain = await createMember(context, root);
    const protectedMember = await createMember(context, root);
    await enableTotp(context, protectedMember.cookie);

    const withoutTwoFactor = await memberLogin(root, plain.email);
    expect(withoutTwoFactor.body.status).toBe("authenticated");
    expect(withoutTwoFactor.cookie).toBeDefined();

    const withTwoFactor = await memberLogin(root, protectedMember.email);
    expect(withTwoFactor.status).toBe(200);
    expect(withTwoFactor.body).toMatchObject({ status: "two_factor_required", method: "totp" });
    expect(withTwoFactor.cookie).toBeUndefined();
  });
});

describe("R3 no second setup and no new setup start after enabling", () => {
  it("R3 before enabling, a new setup start is allowed and replaces the pending one", async () => {
    const root = await createRoot(context);
    const first = await startSetup(root.cookie, "totp");
    const second = await startSetup(root.cookie, "totp");
    expect(second.status).toBe(200);
    expect(second.body.secret).not.toBe(first.body.secret);
    const stale = await confirmSetup(
      root.cookie,
      generateTotpCode({ secret: first.body.secret, at: context.clock.now() }),
    );
    expect(stale.status).toBe(400);
    expect(stale.body.error.code).toBe("INVALID_CODE");
    const fresh = await confirmSetup(
      root.cookie,
      generateTotpCode({ secret: second.body.secret, at: context.clock.now() }),
    );
    expect(fresh.status).toBe(200);
  });

  it.each<["root" | "member", "totp" | "email"]>([
    ["root", "totp"],
    ["root", "email"],
    ["member", "totp"],
  ])(
    "R3 a %s with 2FA enabled cannot start a %s setup nor confirm one (409 TWO_FACTOR_ALREADY_CONFIGURED)",
    async (kind, method) => {
      const root = await createRoot(context);
      const user = kind === "root" ? root : await createMember(context, root);
      const secret = await enableTotp(context, user.cookie as string);

      const restart = await startSetup(user.cookie, method);
      expect(restart.status).toBe(409);
      expect(restart.body.error.code).toBe("TWO_FACTOR_ALREADY_CONFIGURED");
      context.clock.advance(30);
      const reconfirm = await confirmSetup(user.cookie, totpNow(context, secret));
      expect(reconfirm.status).toBe(409);
      expect(reconfirm.body.error.code).toBe("TWO_FACTOR_ALREADY_CONFIGURED");
      expect((await me(user.cookie)).body.twoFactor).toMatchObject({ enabled: true, method: "totp" });
    },
  );
});

describe("R4 a member cannot delete or reset its own 2FA", () => {
  it.each(["project_user", "administrator"])(
    "R4 a member (%s) DELETE /api/me/two-factor with a valid code → 403 FORBIDDEN and 2FA stays enabled",
    async (role) => {
      const root = await createRoot(context);
      const member = await createMember(context, root, { roles: [role] });
      const secret = await enableTotp(context, member.cookie);
      context.clock.advance(30);
      const removed = await call(context, "DELETE", "/api/me/two-factor", {
        cookie: member.cookie,
        body: { code: totpNow(context, secret) },
      });
      expect(removed.status).toBe(403);
      expect(removed.body.error.code).toBe("FORBIDDEN");
      expect((await me(member.cookie)).body.twoFactor.enabled).toBe(true);
      expect(await memberTwoFactorInList(root, member.id)).toMatchObject({ enabled: true });
    },
  );
});

describe("R5 only the root user can delete a member's 2FA", () => {
  it.each(["administrator", "project_admin", "project_user", "accountant", "auditor"])(
    "R5 a member with role %s → 403 ONLY_ROOT_CAN_REMOVE_TWO_FACTOR, the target keeps its 2FA",
    async (role) => {
      const root = await createRoot(context);
      const actor = await createMember(context, root, { roles: [role] });
      const target = await createMember(context, root);
      await enableTotp(context, target.cookie);
      const removed = await call(context, "DELETE", `/api/team/members/${target.id}/two-factor`, {
        cookie: actor.cookie,
      });
      expect(removed.status).toBe(403);
      expect(removed.body.error.code).toBe("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR");
      expect(await memberTwoFactorInList(root, target.id)).toMatchObject({ enabled: true });
    },
  );

  it("R5 an administrator cannot remove its own 2FA through the Team endpoint either", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator", "auditor"] });
    await enableTotp(context, admin.cookie);
    const removed = await call(context, "DELETE", `/api/team/members/${admin.id}/two-factor`, {
      cookie: admin.cookie,
    });
    expect(removed.status).toBe(403);
    expect(removed.body.error.code).toBe("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR");
    expect((await me(admin.cookie)).body.twoFactor.enabled).toBe(true);
  });

  it("R5 the root user removes a member's 2FA → 204", async () => {
    const root = await createRoot(context);
    const target = await createMember(context, root);
    await enableTotp(context, target.cookie);
    const removed = await call(context, "DELETE", `/api/team/members/${target.id}/two-factor`, {
      cookie: root.cookie,
    });
    expect(removed.status).toBe(204);
    expect(await memberTwoFactorInList(root, target.id)).toMatchObject({ enabled: false, method: null });
  });
});

describe("R6 an SSO account cannot enable 2FA", () => {
  it("R6 a non-SSO member can start a setup; flagged SSO it gets 409 SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const flagged = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { sso: true },
    });
    expect(flagged.status).toBe(200);
    expect(flagged.body.sso).toBe(true);
    const refused = await startSetup(member.cookie, "totp");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR");

    await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { sso: false },
    });
    expect((await startSetup(member.cookie, "totp")).status).toBe(200);
  });

  it.each(["root", "administrator"])(
    "R6 %s setting sso on a member with 2FA enabled → 409 TWO_FACTOR_ALREADY_CONFIGURED, flag unchanged",
    async (who) => {
      const root = await createRoot(context);
      const actorCookie =
        who === "root"
          ? root.cookie
          : (await createMember(context, root, { roles: ["administrator"] })).cookie;
      const member = await createMember(context, root);
      await enableTotp(context, member.cookie);
      const refused = await call(context, "PATCH", `/api/team/members/${member.id}`, {
        cookie: actorCookie,
        body: { sso: true },
      });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe("TWO_FACTOR_ALREADY_CONFIGURED");
      expect((await me(member.cookie)).body).toMatchObject({ sso: false, twoFactor: { enabled: true } });
    },
  );

  it("R6 setting sso cancels a pending setup: confirm → 409, and after clearing the flag → NO_PENDING_SETUP", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const started = await startSetup(member.cookie, "totp");
    const code = generateTotpCode({ secret: started.body.secret, at: context.clock.now() });
    await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { sso: true },
    });

    const whileSso = await confirmSetup(member.cookie, code);
    expect(whileSso.status).toBe(409);
    expect(whileSso.body.error.code).toBe("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR");

    await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { sso: false },
    });
    const afterClearing = await confirmSetup(member.cookie, code);
    expect(afterClearing.status).toBe(409);
    expect(afterClearing.body.error.code).toBe("NO_PENDING_SETUP");
    expect((await me(member.cookie)).body.twoFactor.enabled).toBe(false);
  });
});

describe("R7 root users choose email or app; members use the app", () => {
  it("R7 a member choosing email → 409 METHOD_NOT_ALLOWED and no mail is sent", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    context.smtp.clear();
    const refused = await startSetup(member.cookie, "email");
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(mailsTo(member.email, /code/)).toHaveLength(0);
    const confirm = await confirmSetup(member.cookie, "123456");
    expect(confirm.body.error.code).toBe("NO_PENDING_SETUP");
  });

  it("R7 a root user may choose email: the mailed code enables it, and sign-in then asks for an email code", async () => {
    const root = await createRoot(context);
    const started = await startSetup(root.cookie, "email");
    expect(started.status).toBe(200);
    expect(started.body.method).toBe("email");
    expect(started.body.maskedEmail).toMatch(/@example\.com$/);
    expect(started.body.maskedEmail).not.toBe(root.email);
    const mail = await context.smtp.waitFor(root.email, /code/);
    const confirmed = await confirmSetup(root.cookie, codeFrom(mail.text));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.twoFactor).toMatchObject({ enabled: true, method: "email" });
    const login = await rootLogin(root.email);
    expect(login.body).toMatchObject({ status: "two_factor_required", method: "email" });
  });

  it("R7 a root user may choose totp", async () => {
    const root = await createRoot(context);
    const started = await startSetup(root.cookie, "totp");
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ method: "totp" });
    expect(started.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect(started.body.qrCode).toMatch(/^data:image\/(svg\+xml|png);base64,/);
  });
});

describe("R8 a setup is active only after confirmation and expires after 10 minutes", () => {
  it("R8 an unconfirmed setup changes nothing: /api/me shows enabled false and sign-in needs no code", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    expect((await startSetup(root.cookie, "totp")).status).toBe(200);
    expect((await startSetup(member.cookie, "totp")).status).toBe(200);
    expect((await me(root.cookie)).body.twoFactor).toEqual({ enabled: false, method: null, enabledAt: null });
    expect((await me(member.cookie)).body.twoFactor.enabled).toBe(false);
    expect((await rootLogin(root.email)).body.status).toBe("authenticated");
    expect((await memberLogin(root, member.email)).body.status).toBe("authenticated");
  });

  it("R8 a wrong confirmation code → 400 INVALID_CODE and nothing is enabled", async () => {
    const root = await createRoot(context);
    const started = await startSetup(root.cookie, "totp");
    const right = generateTotpCode({ secret: started.body.secret, at: context.clock.now() });
    const wrong = right === "000000" ? "111111" : "000000";
    const refused = await confirmSetup(root.cookie, wrong);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("INVALID_CODE");
    expect((await me(root.cookie)).body.twoFactor.enabled).toBe(false);
  });

  it("R8 confirmed just before 10 minutes the setup is enabled", async () => {
    const root = await createRoot(context);
    const started = await startSetup(root.cookie, "totp");
    context.clock.advance(599);
    const confirmed = await confirmSetup(root.cookie, totpNow(context, started.body.secret));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.twoFactor.enabled).toBe(true);
  });

  it.each<["totp" | "email"]>([["totp"], ["email"]])(
    "R8 a %s setup expires after 10 minutes: confirm → 409 NO_PENDING_SETUP and nothing changed",
    async (method) => {
      const root = await createRoot(context);
      const started = await startSetup(root.cookie, method);
      const mailedCode =
        method === "email" ? codeFrom((await context.smtp.waitFor(root.email, /code/)).text) : "";
      context.clock.advance(600);
      const code = method === "totp" ? totpNow(context, started.body.secret) : mailedCode;
      const expired = await confirmSetup(root.cookie, code);
      expect(expired.status).toBe(409);
      expect(expired.body.error.code).toBe("NO_PENDING_SETUP");
      expect((await me(root.cookie)).body.twoFactor.enabled).toBe(false);
      expect((await rootLogin(root.email)).body.status).toBe("authenticated");
    },
  );
});

describe("R9 after the root user removes a member's 2FA the member can configure it again", () => {
  it("R9 the member signs in without a code and enrols again", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    expect((await memberLogin(root, member.email)).body.status).toBe("two_factor_required");

    const removed = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
    });
    expect(removed.status).toBe(204);
    const login = await memberLogin(root, member.email);
    expect(login.body.status).toBe("authenticated");
    expect((await me(login.cookie)).body.twoFactor.enabled).toBe(false);

    context.clock.advance(30);
    const secret = await enableTotp(context, login.cookie as string);
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    expect((await me(login.cookie)).body.twoFactor.enabled).toBe(true);
  });
});

describe("R10 the root user removes its own 2FA only with a current valid code", () => {
  it("R10 a wrong code → 400 INVALID_CODE and 2FA stays; a current code → 204 and it is gone", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    const right = totpNow(context, secret);
    const wrong = right === "000000" ? "111111" : "000000";
    const refused = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: wrong },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("INVALID_CODE");
    expect((await me(root.cookie)).body.twoFactor.enabled).toBe(true);

    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: right },
    });
    expect(removed.status).toBe(204);
    expect((await me(root.cookie)).body.twoFactor.enabled).toBe(false);
    expect((await rootLogin(root.email)).body.status).toBe("authenticated");
  });

  it("R10 an old code (outside T−1..T+1) is refused", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(120);
    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: totpNow(context, secret, -3) },
    });
    expect(removed.status).toBe(400);
    expect(removed.body.error.code).toBe("INVALID_CODE");
    expect((await me(root.cookie)).body.twoFactor.enabled).toBe(true);
  });

  it("R10 an email-method root user confirms the removal with a mailed action code", async () => {
    const root = await createRoot(context);
    await startSetup(root.cookie, "email");
    await confirmSetup(root.cookie, codeFrom((await context.smtp.waitFor(root.email, /code/)).text));
    context.smtp.clear();
    context.clock.advance(60); // S3: one code mail a minute per user
    expect((await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie })).status).toBe(
      202,
    );
    const code = codeFrom((await context.smtp.waitFor(root.email, /code/)).text);
    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code },
    });
    expect(removed.status).toBe(204);
    expect((await me(root.cookie)).body.twoFactor.enabled).toBe(false);
  });
});

describe("R11 starting a setup needs the password; enabling and removing mail at once", () => {
  it("R11 a wrong password → 401 INVALID_CREDENTIALS and no pending setup", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    for (const user of [root, member]) {
      const refused = await startSetup(user.cookie, "totp", "not the password at all");
      expect(refused.status).toBe(401);
      expect(refused.body.error.code).toBe("INVALID_CREDENTIALS");
      expect(refused.body.secret).toBeUndefined();
      const confirm = await confirmSetup(user.cookie, "123456");
      expect(confirm.status).toBe(409);
      expect(confirm.body.error.code).toBe("NO_PENDING_SETUP");
    }
  });

  it("R11 a wrong password does not replace a pending setup", async () => {
    const root = await createRoot(context);
    const started = await startSetup(root.cookie, "totp");
    expect((await startSetup(root.cookie, "totp", "wrong password here")).status).toBe(401);
    const confirmed = await confirmSetup(
      root.cookie,
      generateTotpCode({ secret: started.body.secret, at: context.clock.now() }),
    );
    expect(confirmed.status).toBe(200);
  });

  it("R11 a member enabling 2FA mails the member and the root user", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    context.smtp.clear();
    await enableTotp(context, member.cookie);
    const toMember = await context.smtp.waitFor(member.email, /enabled/);
    expect(toMember.subject).toMatch(/your account/);
    const toRoot = await context.smtp.waitFor(root.email, /enabled/);
    expect(toRoot.subject).toContain(member.email);
  });

  it("R11 a root user enabling 2FA mails the root user, and nobody else", async () => {
    const root = await createRoot(context);
    context.smtp.clear();
    await enableTotp(context, root.cookie);
    await context.smtp.waitFor(root.email, /enabled/);
    expect(context.smtp.received.filter((mail) => /enabled/.test(mail.subject))).toHaveLength(1);
  });

  it("R11 removing a member's 2FA mails the member and the root user", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    context.smtp.clear();
    await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, { cookie: root.cookie });
    const toMember = await context.smtp.waitFor(member.email, /removed/);
    expect(toMember.text).toContain(root.email);
    const toRoot = await context.smtp.waitFor(root.email, /removed/);
    expect(toRoot.subject).toContain(member.email);
  });

  it("R11 a root user removing its own 2FA is mailed", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    context.smtp.clear();
    await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: totpNow(context, secret) },
    });
    const mail = await context.smtp.waitFor(root.email, /removed/);
    expect(mail.subject).toMatch(/your account/);
  });

  it("R11 a refused change mails nobody", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    context.smtp.clear();
    await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, { cookie: admin.cookie });
    await startSetup(member.cookie, "totp");
    expect(mailsTo(member.email, /Two-factor/)).toHaveLength(0);
    expect(mailsTo(root.email, /Two-factor/)).toHaveLength(0);
  });
});
