import { EMAIL_CHANGE_TTL_IN_SECONDS, MAX_EMAIL_CHANGES_PER_USER } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashPassword } from "./crypto/passwords.js";
import { auditEvents, oneTimeTokens, passwordThrottles, users } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  PUBLIC_URL,
  TEST_PASSWORD_HASH_COST,
  type TestContext,
  totpNow,
  useTestApp,
} from "./test/harness.js";
import { expectStepUpRequired, mailedCode, makeStale, snapshot, stepUp } from "./test/step-up.js";

// §6.4 Root email change: a link to the new address confirms it; sign-in moves only then.

const context = useTestApp();

const CONFIRM_SUBJECT = /Confirm your new cloud2fa sign-in address/;
const REQUESTED_SUBJECT = /change of your cloud2fa sign-in address was requested/;

function requestChange(ctx: TestContext, cookie: string, newEmail: string, password = PASSWORD) {
  return call(ctx, "POST", "/api/me/email", { cookie, body: { newEmail, password } });
}

function confirmChange(ctx: TestContext, token: string) {
  return call(ctx, "POST", "/api/me/email/confirm", { body: { token } });
}

function signIn(ctx: TestContext, email: string) {
  return call(ctx, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
}

function mailsTo(ctx: TestContext, to: string) {
  return ctx.smtp.received.filter((mail) => mail.to === to);
}

/** The token of the newest confirmation link mailed to `to`. */
async function linkTokenFor(ctx: TestContext, to: string): Promise<string> {
  const mail = await ctx.smtp.waitFor(to, CONFIRM_SUBJECT);
  const link = new RegExp(`${PUBLIC_URL}/confirm-email\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!link?.[1]) throw new Error(`no link in ${mail.text}`);
  return link[1];
}

async function userRow(ctx: TestContext, id: string) {
  const [row] = await ctx.deps.db.select().from(users).where(eq(users.id, id));
  return row;
}

async function auditOf(ctx: TestContext, userId: string) {
  return ctx.deps.db
    .select({ type: auditEvents.type, detail: auditEvents.detail })
    .from(auditEvents)
    .where(eq(auditEvents.subjectId, userId));
}

describe("§6.4 root email change", () => {
  it("§6.4 request then confirm: the link goes to the new address, the old one is told before and after, and sign-in moves to the new address only then", async () => {
    const root = await createRoot(context, "ada@example.com");
    const requested = await requestChange(context, root.cookie, "Ada@new.example");
    expect(requested.status).toBe(202);
    expect(requested.body).toEqual({ status: "accepted" });

    const token = await linkTokenFor(context, "Ada@new.example");
    const before = await context.smtp.waitFor("ada@example.com", REQUESTED_SUBJECT);
    expect(before.text).toContain("A••@new.example");
    expect(before.text).not.toContain("Ada@new.example");
    expect(before.text).toMatch(/Client address: /);
    expect(before.text).toMatch(/Device: /);
    expect(before.text).toMatch(/If this was not you/);

    // Until confirmed, the old address signs in and the new one does not.
    expect((await signIn(context, "ada@example.com")).body.status).toBe("authenticated");
    expect((await signIn(context, "ada@new.example")).status).toBe(401);

    const confirmed = await confirmChange(context, token);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toEqual({ email: "Ada@new.example" });
    expect(confirmed.cookie).toBeUndefined(); // it signs nobody in

    expect((await signIn(context, "ada@example.com")).status).toBe(401);
    const signedIn = await signIn(context, "ada@new.example");
    expect(signedIn.body.status).toBe("authenticated");
    const me = await call(context, "GET", "/api/me", { cookie: signedIn.cookie });
    expect(me.body.email).toBe("Ada@new.example");
    // Other sessions are kept: the password and the second factor did not change.
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).body.email).toBe(
      "Ada@new.example",
    );
    const row = await userRow(context, root.id);
    expect(row).toMatchObject({ emailNormalized: "ada@new.example", emailVerifiedAt: expect.any(Date) });

    const after = await context.smtp.waitFor("ada@example.com", /sign-in address was changed/);
    expect(after.text).toContain("A••@new.example");
    expect(await context.smtp.waitFor("Ada@new.example", /sign-in address is now this one/)).toBeTruthy();

    const events = await auditOf(context, root.id);
    expect(events).toEqual(
      expect.arrayContaining([
        { type: "account.email_change_requested", detail: { to: "Ada@new.example" } },
        { type: "account.email_changed", detail: { from: "ada@example.com", to: "Ada@new.example" } },
      ]),
    );
  });

  it("§6.4 the link works once", async () => {
    const root = await createRoot(context);
    await requestChange(context, root.cookie, "once@new.example");
    const token = await linkTokenFor(context, "once@new.example");
    expect((await confirmChange(context, token)).status).toBe(200);
    const again = await confirmChange(context, token);
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe("INVALID_TOKEN");
  });

  it("§6.4 an expired link (past 24 hours) is refused and changes nothing", async () => {
    const root = await createRoot(context);
    await requestChange(context, root.cookie, "late@new.example");
    const token = await linkTokenFor(context, "late@new.example");
    context.clock.advance(EMAIL_CHANGE_TTL_IN_SECONDS + 1);
    const late = await confirmChange(context, token);
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe("INVALID_TOKEN");
    expect((await userRow(context, root.id))?.email).toBe(root.email);
  });

  it("§6.4 a newer request voids the older link", async () => {
    const root = await createRoot(context);
    await requestChange(context, root.cookie, "first@new.example");
    const first = await linkTokenFor(context, "first@new.example");
    await requestChange(context, root.cookie, "second@new.example");
    const second = await linkTokenFor(context, "second@new.example");
    const old = await confirmChange(context, first);
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe("INVALID_TOKEN");
    expect((await confirmChange(context, second)).body).toEqual({ email: "second@new.example" });
  });

  it("§6.4 a new password voids a pending link (how the owner cancels a change someone else asked for)", async () => {
    const root = await createRoot(context);
    await requestChange(context, root.cookie, "thief@new.example");
    const token = await linkTokenFor(context, "thief@new.example");
    // As §6.1 and §6.2 write a new password.
    const passwordHash = await hashPassword("an entirely new passphrase", TEST_PASSWORD_HASH_COST);
    await context.deps.db.update(users).set({ passwordHash }).where(eq(users.id, root.id));
    const refused = await confirmChange(context, token);
    expect(refused.body.error.code).toBe("INVALID_TOKEN");
    expect((await userRow(context, root.id))?.email).toBe(root.email);
  });

  it("§6.4 a wrong password is 400 INVALID_CREDENTIALS, charged on the sign-in budget, and sends nothing", async () => {
    const root = await createRoot(context);
    context.smtp.clear();
    const wrong = await requestChange(context, root.cookie, "wrong@new.example", "not the password at all");
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    const [signInKey] = await context.deps.db
      .select()
      .from(passwordThrottles)
      .where(eq(passwordThrottles.key, `account:root:${root.email}`));
    expect(signInKey?.count).toBe(1);
    const [reauthKey] = await context.deps.db
      .select()
      .from(passwordThrottles)
      .where(eq(passwordThrottles.key, `reauth:${root.id}`));
    expect(reauthKey?.count).toBe(1);
    expect(context.smtp.received).toEqual([]);
    expect(
      await context.deps.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.purpose, "change_email")),
    ).toEqual([]);
  });

  it("§6.4 with 2FA on, a change needs a step-up: 403 STEP_UP_REQUIRED without a recent code, 202 after one", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    await makeStale(context, [root.cookie]);
    context.smtp.clear();
    expectStepUpRequired(await requestChange(context, root.cookie, "stepped@new.example"));
    expect(context.smtp.received).toEqual([]);
    expect((await stepUp(context, root.cookie, totpNow(context, secret))).status).toBe(200);
    expect((await requestChange(context, root.cookie, "stepped@new.example")).status).toBe(202);
    await linkTokenFor(context, "stepped@new.example");
  });

  it("§6.4 S6: an address another root user signs in with gets the same 202, no link, and nothing changes", async () => {
    const owner = await createRoot(context, "taken@example.com");
    const root = await createRoot(context);
    context.smtp.clear();
    const answer = await requestChange(context, root.cookie, "Taken@Example.com");
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ status: "accepted" });
    // The old address gets the same notice as for a free address; the taken one a note with no link.
    await context.smtp.waitFor(root.email, REQUESTED_SUBJECT);
    const note = await context.smtp.waitFor("taken@example.com", /tried to move/);
    expect(note.text).not.toMatch(/token=/);
    expect(context.smtp.received.some((mail) => /token=/.test(mail.text))).toBe(false);
    expect(
      await context.deps.db.select().from(oneTimeTokens).where(eq(oneTimeTokens.purpose, "change_email")),
    ).toEqual([]);
    expect((await userRow(context, root.id))?.email).toBe(root.email);
    expect((await userRow(context, owner.id))?.email).toBe("taken@example.com");
  });

  it("§6.4 the address taken by someone else between request and confirm: 409 EMAIL_TAKEN, nothing changed", async () => {
    const root = await createRoot(context);
    await requestChange(context, root.cookie, "race@new.example");
    const token = await linkTokenFor(context, "race@new.example");
    await createRoot(context, "race@new.example");
    const before = await snapshot(context);
    context.smtp.clear();
    const refused = await confirmChange(context, token);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("EMAIL_TAKEN");
    expect(await snapshot(context)).toEqual(before);
    expect(context.smtp.received).toEqual([]);
  });

  it("§6.4 two concurrent confirms of one link: exactly one succeeds", async () => {
    const root = await createRoot(context);
    await requestChange(context, root.cookie, "twice@new.example");
    const token = await linkTokenFor(context, "twice@new.example");
    const answers = await Promise.all([confirmChange(context, token), confirmChange(context, token)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
    const changed = await context.deps.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, root.id), eq(auditEvents.type, "account.email_changed")));
    expect(changed).toHaveLength(1);
  });

  it("§6.4 two root users confirming the same new address at once: one 200, the other 409 EMAIL_TAKEN, nothing half-written", async () => {
    const first = await createRoot(context);
    const second = await createRoot(context);
    await requestChange(context, first.cookie, "contested@new.example");
    const firstToken = await linkTokenFor(context, "contested@new.example");
    await requestChange(context, second.cookie, "contested@new.example");
    const secondToken = await linkTokenFor(context, "contested@new.example");
    expect(secondToken).not.toBe(firstToken);
    const answers = await Promise.all([
      confirmChange(context, firstToken),
      confirmChange(context, secondToken),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(answers.find((answer) => answer.status === 409)?.body.error.code).toBe("EMAIL_TAKEN");
    const emails = [(await userRow(context, first.id))?.email, (await userRow(context, second.id))?.email];
    expect(emails.filter((email) => email === "contested@new.example")).toHaveLength(1);
    expect(emails).toContain(answers[0]?.status === 200 ? second.email : first.email);
  });

  it("§6.4 requests are bounded per user (each mails two addresses): 429 with Retry-After", async () => {
    const root = await createRoot(context);
    for (let index = 0; index < MAX_EMAIL_CHANGES_PER_USER; index++) {
      expect((await requestChange(context, root.cookie, `many-${index}@new.example`)).status).toBe(202);
    }
    context.smtp.clear();
    const refused = await requestChange(context, root.cookie, "one-more@new.example");
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(context.smtp.received).toEqual([]);
  });

  it("§6.4 a member cannot change its address: 403 FORBIDDEN (it belongs to its team)", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    context.smtp.clear();
    const refused = await requestChange(context, member.cookie, "member@new.example");
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("FORBIDDEN");
    expect(context.smtp.received).toEqual([]);
  });

  it("§6.4 the current address again is 400 VALIDATION_FAILED", async () => {
    const root = await createRoot(context, "same@example.com");
    const refused = await requestChange(context, root.cookie, " SAME@example.com ".trim());
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("VALIDATION_FAILED");
  });

  it("§6.4 an email-method root user's codes go to the new address afterwards", async () => {
    const root = await createRoot(context, "codes@example.com");
    const setupCode = await mailedCode(context, "codes@example.com", () =>
      call(context, "POST", "/api/me/two-factor/setup", {
        cookie: root.cookie,
        body: { method: "email", password: PASSWORD },
      }),
    );
    const enabled = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: setupCode },
    });
    expect(enabled.status).toBe(200);
    // The setup confirmation counts as a step-up.
    expect((await requestChange(context, root.cookie, "codes@new.example")).status).toBe(202);
    expect((await confirmChange(context, await linkTokenFor(context, "codes@new.example"))).status).toBe(200);
    context.clock.advance(15 * 60);

    const oldMailCount = mailsTo(context, "codes@example.com").length;
    let challengeId = "";
    const code = await mailedCode(context, "codes@new.example", async () => {
      const login = await signIn(context, "codes@new.example");
      expect(login.body).toMatchObject({ status: "two_factor_required", method: "email" });
      challengeId = login.body.challengeId;
    });
    expect(mailsTo(context, "codes@example.com")).toHaveLength(oldMailCount);
    const verified = await call(context, "POST", `/api/auth/challenges/${challengeId}/verify`, {
      body: { code },
    });
    expect(verified.status).toBe(200);
  });
});
