import { PASSWORD_RESET_TTL_IN_SECONDS } from "@cloud2fa/domain";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { asDate, queryRows } from "./db/connect.js";
import {
  type ApiResponse,
  call,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  PUBLIC_URL,
  totpNow,
  useTestApp,
  verifyCode,
  wrongTotp,
} from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });

const NEW_PASSWORD = "a brand new passphrase for the reset";
const CLIENT = "203.0.113.7";
const RESET_SUBJECT = /Reset your cloud2fa password/;
const NOTICE_SUBJECT = /password was reset/;

const requestReset = (body: Record<string, unknown>, address = CLIENT) =>
  call(context, "POST", "/api/auth/password-reset", { body, headers: { "x-forwarded-for": address } });
const confirmReset = (token: string, password = NEW_PASSWORD) =>
  call(context, "POST", "/api/auth/password-reset/confirm", {
    body: { token, password },
    headers: { "x-forwarded-for": CLIENT, "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" },
  });
const rootLogin = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/login", { body: { email, password } });
const memberLogin = (accountId: string, email: string, password: string) =>
  call(context, "POST", "/api/auth/member/login", { body: { accountId, email, password } });

const mailsTo = (to: string, subject = RESET_SUBJECT) =>
  context.smtp.received.filter((mail) => mail.to === to && subject.test(mail.subject));

function linkIn(text: string): { url: string; token: string } {
  const found = /(\S+\?token=([A-Za-z0-9_-]+))/.exec(text);
  if (!found?.[1] || !found[2]) throw new Error(`no link in ${text}`);
  return { url: found[1], token: found[2] };
}

async function latestResetToken(email: string): Promise<string> {
  const mail = mailsTo(email).at(-1);
  if (!mail) throw new Error(`no reset mail to ${email}`);
  return linkIn(mail.text).token;
}

async function rootWithTotp() {
  const root = await createRoot(context);
  const secret = await enableTotp(context, root.cookie);
  context.clock.advance(30); // the setup's code is spent: the sign-in needs the next one
  return { ...root, secret };
}

async function factorOf(userId: string) {
  const [row] = await queryRows<{ lockedAt: string | null; failedCodeStreak: number }>(
    context.database.db,
    sql`select locked_at as "lockedAt", failed_code_streak::int as "failedCodeStreak" from two_factors where user_id = ${userId}`,
  );
  return row ? { ...row, lockedAt: asDate(row.lockedAt) } : null;
}

async function auditTypes(userId: string): Promise<string[]> {
  const rows = await queryRows<{ type: string }>(
    context.database.db,
    sql`select type from audit_events where subject_id = ${userId} order by seq`,
  );
  return rows.map((row) => row.type);
}

function expectTwoFactorRequired(answer: ApiResponse) {
  expect(answer.status).toBe(200);
  expect(answer.body.status).toBe("two_factor_required");
  expect(answer.cookie).toBeUndefined();
}

describe("§6.1 forgot password: a mailed link sets a new password, signs every session out and never the 2FA", () => {
  it("§6.1 reset of a root user with TOTP: the old password stops working, the new one still needs the code", async () => {
    const root = await rootWithTotp();
    const requested = await requestReset({ email: root.email });
    expect(requested.status).toBe(202);
    expect(requested.body).toEqual({ status: "accepted" });
    const mail = await context.smtp.waitFor(root.email, RESET_SUBJECT);
    const { url, token } = linkIn(mail.text);
    expect(url.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);
    expect(mail.text).toContain("30 minutes");

    const confirmed = await confirmReset(token);
    expect(confirmed.status).toBe(204);
    expect(confirmed.headers.get("set-cookie")).toBeNull();

    expect((await rootLogin(root.email, PASSWORD)).body.error.code).toBe("INVALID_CREDENTIALS");
    const signIn = await rootLogin(root.email, NEW_PASSWORD);
    expectTwoFactorRequired(signIn);
    expect(signIn.body.method).toBe("totp");
    const verified = await verifyCode(context, signIn.body.challengeId, totpNow(context, root.secret));
    expect(verified.status).toBe(200);
    expect(verified.cookie).toBeDefined();
  });

  it("§6.1 reset of a member with 2FA: the member link is the portal's, and the next sign-in asks for the code", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const secret = await enableTotp(context, member.cookie);
    context.clock.advance(30);
    expect((await requestReset({ accountId: root.accountId, email: member.email })).status).toBe(202);
    const { url, token } = linkIn((await context.smtp.waitFor(member.email, RESET_SUBJECT)).text);
    expect(url.startsWith(`${PUBLIC_URL}/member/reset-password?token=`)).toBe(true);
    expect((await confirmReset(token)).status).toBe(204);

    expect((await memberLogin(root.accountId, member.email, PASSWORD)).status).toBe(401);
    const signIn = await memberLogin(root.accountId, member.email, NEW_PASSWORD);
    expectTwoFactorRequired(signIn);
    const verified = await verifyCode(context, signIn.body.challengeId, totpNow(context, secret));
    expect(verified.status).toBe(200);
    expect((await call(context, "GET", "/api/me", { cookie: verified.cookie })).body.twoFactor.enabled).toBe(
      true,
    );
  });

  it("§6.1 a root user without 2FA signs in with the new password only through the sign-in; the confirm sets no cookie", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    const confirmed = await confirmReset(await latestResetToken(root.email));
    expect(confirmed.status).toBe(204);
    expect(confirmed.cookie).toBeUndefined();
    expect(confirmed.headers.get("set-cookie")).toBeNull();
    expect((await rootLogin(root.email, PASSWORD)).status).toBe(401);
    expect((await rootLogin(root.email, NEW_PASSWORD)).body.status).toBe("authenticated");
  });

  it("§6.1 two concurrent confirms of one link: exactly one 204, the other 400 INVALID_TOKEN", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    const token = await latestResetToken(root.email);
    const answers = await Promise.all([
      confirmReset(token, NEW_PASSWORD),
      confirmReset(token, "another passphrase entirely"),
    ]);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([204, 400]);
    expect(answers.find((answer) => answer.status === 400)?.body.error.code).toBe("INVALID_TOKEN");
    expect(mailsTo(root.email, NOTICE_SUBJECT)).toHaveLength(1);
    expect((await auditTypes(root.id)).filter((type) => type === "account.password_reset")).toHaveLength(1);
  });

  it("§6.1 a newer link kills the older one; a used link and an unknown one are INVALID_TOKEN", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    const older = await latestResetToken(root.email);
    await requestReset({ email: root.email });
    const newer = await latestResetToken(root.email);
    expect(newer).not.toBe(older);
    const superseded = await confirmReset(older);
    expect(superseded.status).toBe(400);
    expect(superseded.body.error.code).toBe("INVALID_TOKEN");
    expect((await confirmReset(newer)).status).toBe(204);
    const used = await confirmReset(newer, "yet another passphrase here");
    expect(used.body.error.code).toBe("INVALID_TOKEN");
    expect((await confirmReset("A".repeat(43))).body.error.code).toBe("INVALID_TOKEN");
    expect((await rootLogin(root.email, NEW_PASSWORD)).body.status).toBe("authenticated");
  });

  it("§6.1 a link expires after 30 minutes", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    const token = await latestResetToken(root.email);
    context.clock.advance(PASSWORD_RESET_TTL_IN_SECONDS);
    const expired = await confirmReset(token);
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe("INVALID_TOKEN");
    expect((await rootLogin(root.email, PASSWORD)).body.status).toBe("authenticated");
  });

  it("§6.1 a link works until just before 30 minutes", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    const token = await latestResetToken(root.email);
    context.clock.advance(PASSWORD_RESET_TTL_IN_SECONDS - 1);
    expect((await confirmReset(token)).status).toBe(204);
  });

  it("§6.1 a reset while a sign-in challenge is open kills the challenge and revokes every session", async () => {
    const root = await rootWithTotp();
    const signedIn = await rootLogin(root.email, PASSWORD);
    const firstSession = await verifyCode(context, signedIn.body.challengeId, totpNow(context, root.secret));
    expect(firstSession.cookie).toBeDefined();
    context.clock.advance(30);
    const challenge = await openChallenge(context, root.email);
    await requestReset({ email: root.email });
    expect((await confirmReset(await latestResetToken(root.email))).status).toBe(204);

    const late = await verifyCode(context, challenge, totpNow(context, root.secret));
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe("CHALLENGE_EXPIRED");
    expect(late.cookie).toBeUndefined();
    for (const cookie of [root.cookie, firstSession.cookie]) {
      expect((await call(context, "GET", "/api/me", { cookie })).status).toBe(401);
    }
  });

  it("§6.1 a weak new password is 400 WEAK_PASSWORD, changes nothing, and the link still works", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    const token = await latestResetToken(root.email);
    for (const weak of ["short", "password1234", root.email]) {
      const refused = await confirmReset(token, weak);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: "WEAK_PASSWORD", field: "password" });
    }
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(200);
    expect((await rootLogin(root.email, PASSWORD)).body.status).toBe("authenticated");
    expect((await confirmReset(token)).status).toBe(204);
  });

  it("§6.1 a factor locked by the hard cap stays locked after a reset", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const secret = await enableTotp(context, member.cookie);
    context.clock.advance(30);
    await context.database.db.execute(
      sql`update two_factors set failed_code_streak = 99 where user_id = ${member.id}`,
    );
    const challenge = (await memberLogin(root.accountId, member.email, PASSWORD)).body.challengeId;
    expect((await verifyCode(context, challenge, wrongTotp(context, secret))).body.error.code).toBe(
      "TWO_FACTOR_LOCKED",
    );
    const lockedBefore = await factorOf(member.id);
    expect(lockedBefore?.lockedAt).not.toBeNull();

    await requestReset({ accountId: root.accountId, email: member.email });
    expect((await confirmReset(await latestResetToken(member.email))).status).toBe(204);
    expect(await factorOf(member.id)).toEqual(lockedBefore);
    const signIn = await memberLogin(root.accountId, member.email, NEW_PASSWORD);
    expect(signIn.status).toBe(403);
    expect(signIn.body.error.code).toBe("TWO_FACTOR_LOCKED");
    expect(signIn.cookie).toBeUndefined();
  });

  it("§6.1 the reset mails a notice (time, client address, device) and is audited as account.password_reset", async () => {
    const root = await createRoot(context);
    await requestReset({ email: root.email });
    await confirmReset(await latestResetToken(root.email));
    const notice = await context.smtp.waitFor(root.email, NOTICE_SUBJECT);
    expect(notice.text).toContain(`Client address: ${CLIENT}`);
    expect(notice.text).toContain(context.clock.now().toISOString());
    expect(notice.text).toMatch(/Device: Firefox/);
    const [event] = await queryRows<{ type: string; actorId: string; clientAddress: string }>(
      context.database.db,
      sql`select type, actor_id as "actorId", client_address as "clientAddress" from audit_events
        where subject_id = ${root.id} and type = 'account.password_reset'`,
    );
    expect(event).toEqual({ type: "account.password_reset", actorId: root.id, clientAddress: CLIENT });
  });
});

describe("§6.1, S6 the request answers alike for every address and mails only a real account", () => {
  it("§6.1 unknown, SSO, pending, disabled and unverified addresses get the same 202 and no mail; real ones get one", async () => {
    const root = await createRoot(context);
    const active = await createMember(context, root);
    const sso = await createMember(context, root);
    const disabled = await createMember(context, root);
    const pending = await createMember(context, root, { activate: false });
    for (const [id, patch] of [
      [sso.id, { sso: true }],
      [disabled.id, { status: "disabled" }],
    ] as const) {
      const patched = await call(context, "PATCH", `/api/team/members/${id}`, {
        cookie: root.cookie,
        body: patch,
      });
      expect(patched.status).toBe(200);
    }
    const unverified = "never-verified@example.com";
    await call(context, "POST", "/api/auth/root/signup", { body: { email: unverified, password: PASSWORD } });
    context.smtp.clear();

    const answers: ApiResponse[] = [];
    const ask = async (body: Record<string, unknown>) => {
      const answer = await requestReset(body);
      answers.push(answer);
    };
    await ask({ email: "nobody@example.com" });
    await ask({ email: unverified });
    await ask({ email: active.email }); // a member's address as a root user's: no such root user
    await ask({ accountId: root.accountId, email: "nobody@example.com" });
    await ask({ accountId: root.accountId, email: sso.email });
    await ask({ accountId: root.accountId, email: pending.email });
    await ask({ accountId: root.accountId, email: disabled.email });
    await ask({ accountId: "acc_aaaaaaaaaaaaaaaaaaaaaa", email: active.email });
    await ask({ accountId: root.accountId, email: root.email }); // the root user's address as a member's
    expect(context.smtp.received).toEqual([]);

    await ask({ email: root.email.toUpperCase() });
    await ask({ accountId: root.accountId, email: active.email });
    for (const answer of answers) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ status: "accepted" });
      expect(answer.cookie).toBeUndefined();
    }
    expect(context.smtp.received.map((mail) => mail.to).sort()).toEqual([active.email, root.email].sort());
    const [tokens] = await queryRows<{ count: number }>(
      context.database.db,
      sql`select count(*)::int as count from one_time_tokens where purpose = 'reset_password'`,
    );
    expect(tokens?.count).toBe(2);
  });

  it("§6.1 a member's link stops working when the member is disabled before using it", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await requestReset({ accountId: root.accountId, email: member.email });
    const token = await latestResetToken(member.email);
    await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "disabled" },
    });
    expect((await confirmReset(token)).body.error.code).toBe("INVALID_TOKEN");
  });

  it("§6.1, S3 three requests per account an hour, unknown addresses too, then 429 with Retry-After", async () => {
    const root = await createRoot(context);
    for (const email of [root.email, "nobody@example.com"]) {
      for (let attempt = 0; attempt < 3; attempt++) {
        expect((await requestReset({ email }, `192.0.2.${attempt}`)).status).toBe(202);
      }
      const refused = await requestReset({ email }, "192.0.2.99");
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    expect(mailsTo(root.email)).toHaveLength(3);
    // A member of the same address in a team is another account: its own budget.
    expect((await requestReset({ accountId: root.accountId, email: root.email })).status).toBe(202);
    context.clock.advance(60 * 60);
    expect((await requestReset({ email: root.email })).status).toBe(202);
    expect(mailsTo(root.email)).toHaveLength(4);
  });

  it("§6.1, S3 thirty requests per client address an hour, whatever the addresses named", async () => {
    const root = await createRoot(context);
    for (let index = 0; index < 30; index++) {
      expect((await requestReset({ email: `someone-${index}@example.com` }, "198.51.100.5")).status).toBe(
        202,
      );
    }
    const refused = await requestReset({ email: root.email }, "198.51.100.5");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe(String(60 * 60));
    expect(mailsTo(root.email)).toHaveLength(0);
    expect((await requestReset({ email: root.email }, "198.51.100.6")).status).toBe(202);
    expect(mailsTo(root.email)).toHaveLength(1);
  });
});
