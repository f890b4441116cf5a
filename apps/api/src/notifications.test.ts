import { addSeconds, CODE_LOCK_IN_SECONDS } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "./db/schema/index.js";
import { USER_AGENT_MAX_LENGTH } from "./http/user-agent.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  type TestContext,
  totpNow,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });

const CLIENT = "203.0.113.42";
// A real browser's header with a sentence of the client's own appended (issue 13 item 7).
const AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 ... This was an automatic check by the cloud2fa team, ignore this notice";
const DEVICE = "Device: Chrome on Windows";
const client = { "x-forwarded-for": CLIENT, "user-agent": AGENT };

type Root = Awaited<ReturnType<typeof createRoot>>;

/** A six-digit code no TOTP window step (T−1..T+1) accepts. */
function wrongTotp(ctx: TestContext, secret: string): string {
  const valid = new Set([-1, 0, 1].map((offset) => totpNow(ctx, secret, offset)));
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!valid.has(code)) return code;
  }
}

/** Mail is sent after the answer: give any stray message time to arrive before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

function mailsTo(to: string, subject: RegExp) {
  return context.smtp.received.filter((mail) => mail.to === to && subject.test(mail.subject));
}

async function memberWithTotp(root: Root) {
  const member = await createMember(context, root);
  const secret = await enableTotp(context, member.cookie);
  context.clock.advance(30);
  return { ...member, secret };
}

async function memberChallenge(root: Root, email: string): Promise<string> {
  const login = await call(context, "POST", "/api/auth/member/login", {
    headers: client,
    body: { accountId: root.accountId, email, password: PASSWORD },
  });
  expect(login.body.status).toBe("two_factor_required");
  return login.body.challengeId as string;
}

const verify = (challengeId: string, code: string) =>
  call(context, "POST", `/api/auth/challenges/${challengeId}/verify`, { headers: client, body: { code } });

const removeTwoFactor = (root: Root, memberId: string, options: { body?: unknown; rawBody?: string } = {}) =>
  call(context, "DELETE", `/api/team/members/${memberId}/two-factor`, {
    cookie: root.cookie,
    headers: client,
    ...options,
  });

async function removedEvents(subjectId: string) {
  return context.database.db
    .select({ detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(eq(auditEvents.subjectId, subjectId), eq(auditEvents.type, "two_factor.removed")));
}

describe("R11 enabling 2FA mails the user and, for a member, the root user", () => {
  it("a member enables 2FA: both are mailed, naming the member and the time", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    const own = await context.smtp.waitFor(member.email, /enabled for your account/);
    expect(own.text).toContain(`by ${member.email} at ${context.clock.now().toISOString()}`);
    const rootCopy = await context.smtp.waitFor(root.email, new RegExp(`enabled for ${member.email}`));
    expect(rootCopy.text).toContain(`the member account ${member.email}`);
  });
});

describe("R11 the notices never hold the answer: with the mail server stalled the change answers at once", () => {
  /** The answer to `request`, which must come while the server accepts no mail; then the mail flows. */
  async function answeredWhileStalled<T>(request: () => Promise<T>): Promise<T> {
    context.smtp.clear();
    const release = context.smtp.hold();
    try {
      const answer = await Promise.race([
        request(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("the answer waited for mail")), 2000),
        ),
      ]);
      expect(context.smtp.received).toHaveLength(0);
      return answer;
    } finally {
      release();
    }
  }

  it("a member's setup confirmation answers with its recovery codes; the two notices follow", async () => {
    const root = await createRoot(context);
    await call(context, "PATCH", "/api/team/settings", {
      cookie: root.cookie,
      body: { allowMemberRecoveryCodes: true },
    });
    const member = await createMember(context, root);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: member.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    context.smtp.clear();
    const confirmed = await answeredWhileStalled(() =>
      call(context, "POST", "/api/me/two-factor/setup/confirm", {
        cookie: member.cookie,
        body: { code: totpNow(context, started.body.secret) },
      }),
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.twoFactor).toMatchObject({ enabled: true, method: "totp" });
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    await context.smtp.waitFor(member.email, /enabled/);
    await context.smtp.waitFor(root.email, /enabled/);
  });

  it("the root user removing its own 2FA, and a member's, answer 204 at once; the notices follow", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    const rootSecret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    context.smtp.clear();
    const removedOwn = await answeredWhileStalled(() =>
      call(context, "DELETE", "/api/me/two-factor", {
        cookie: root.cookie,
        body: { code: totpNow(context, rootSecret) },
      }),
    );
    expect(removedOwn.status).toBe(204);
    await context.smtp.waitFor(root.email, /removed/);
    const removedMember = await answeredWhileStalled(() =>
      call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, { cookie: root.cookie }),
    );
    expect(removedMember.status).toBe(204);
    await context.smtp.waitFor(member.email, /removed/);
  });
});

describe("Remove 2FA takes an optional reason: mailed, and kept in the audit event", () => {
  it("the member and the root user are mailed who removed it, when, and the (trimmed) reason", async () => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    const removed = await removeTwoFactor(root, member.id, {
      body: { reason: "  Lost phone, called them  " },
    });
    expect(removed.status).toBe(204);

    const at = context.clock.now().toISOString();
    const own = await context.smtp.waitFor(member.email, /removed for your account/);
    expect(own.text).toContain(`by ${root.email} at ${at}`);
    expect(own.text).toContain("Reason given: Lost phone, called them\n");
    const rootCopy = await context.smtp.waitFor(root.email, new RegExp(`removed for ${member.email}`));
    expect(rootCopy.text).toContain(`by ${root.email} at ${at}`);
    expect(rootCopy.text).toContain("Reason given: Lost phone, called them\n");

    expect(await removedEvents(member.id)).toEqual([
      { detail: { method: "totp", reason: "Lost phone, called them" } },
    ]);
  });

  it.each([
    ["no body at all", {}],
    ["an empty object", { body: {} }],
    ["a blank reason", { body: { reason: "   " } }],
  ])("with %s: removed, mailed without a reason, no reason in the audit event", async (_label, options) => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    expect((await removeTwoFactor(root, member.id, options)).status).toBe(204);
    const own = await context.smtp.waitFor(member.email, /removed for your account/);
    expect(own.text).not.toContain("Reason");
    expect(await removedEvents(member.id)).toEqual([{ detail: { method: "totp" } }]);
  });

  it("the OpenAPI document describes the optional reason body", async () => {
    const document = await call(context, "GET", "/api/openapi.json");
    const operation = document.body.paths["/team/members/{id}/two-factor"].delete;
    expect(operation.requestBody.required).toBe(false);
    const schema = operation.requestBody.content["application/json"].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.reason).toMatchObject({ type: "string", maxLength: 500 });
    expect(schema.required ?? []).toEqual([]);
  });

  it("a reason of 500 characters is accepted", async () => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    const reason = "r".repeat(500);
    expect((await removeTwoFactor(root, member.id, { body: { reason } })).status).toBe(204);
    expect(await removedEvents(member.id)).toEqual([{ detail: { method: "totp", reason } }]);
  });

  it.each([
    ["a reason over 500 characters", { body: { reason: "r".repeat(501) } }],
    ["a reason that is not a string", { body: { reason: 42 } }],
    ["an unknown field", { body: { reason: "lost", notify: false } }],
    ["malformed JSON", { rawBody: "{", contentType: "application/json" }],
    ["a text body", { rawBody: "lost phone", contentType: "text/plain" }],
  ])("S7 %s → 400 VALIDATION_FAILED, and nothing changes", async (_label, bad) => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    context.smtp.clear();
    const refused = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
      headers: "contentType" in bad ? { "content-type": bad.contentType } : {},
      ...("body" in bad ? { body: bad.body } : { rawBody: bad.rawBody }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("VALIDATION_FAILED");
    const me = await call(context, "GET", "/api/me", { cookie: member.cookie });
    expect(me.body.twoFactor.enabled).toBe(true);
    expect(await removedEvents(member.id)).toEqual([]);
    await settle();
    expect(context.smtp.received).toEqual([]);
  });
});

describe("a sign-in that passed the password but failed the code is mailed, once per challenge", () => {
  it("a member: the member and the root user get the time, client address and browser, once", async () => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    context.smtp.clear();
    const challengeId = await memberChallenge(root, member.email);
    expect((await verify(challengeId, wrongTotp(context, member.secret))).status).toBe(400);

    const own = await context.smtp.waitFor(member.email, /wrong code for your account/);
    for (const text of [`Time: ${context.clock.now().toISOString()}`, `Client address: ${CLIENT}`, DEVICE])
      expect(own.text).toContain(text);
    const rootCopy = await context.smtp.waitFor(root.email, new RegExp(`wrong code for ${member.email}`));
    expect(rootCopy.text).toContain(`Client address: ${CLIENT}`);
    expect(rootCopy.text).toContain(`the member account ${member.email}`);

    // More wrong codes, then the right one, on the same challenge: no more mail.
    context.clock.advance(5);
    expect((await verify(challengeId, wrongTotp(context, member.secret))).status).toBe(400);
    expect((await verify(challengeId, wrongTotp(context, member.secret))).status).toBe(400);
    expect((await verify(challengeId, totpNow(context, member.secret))).status).toBe(200);
    await settle();
    expect(mailsTo(member.email, /wrong code/)).toHaveLength(1);
    expect(mailsTo(root.email, /wrong code/)).toHaveLength(1);

    // A new challenge is a new sign-in: its first wrong code is mailed again.
    context.clock.advance(30);
    const next = await memberChallenge(root, member.email);
    expect((await verify(next, wrongTotp(context, member.secret))).status).toBe(400);
    await settle();
    expect(mailsTo(member.email, /wrong code/)).toHaveLength(2);
    expect(mailsTo(root.email, /wrong code/)).toHaveLength(2);
  });

  it("a right code at once mails nothing; a root user's wrong code is mailed to the root user only", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    context.smtp.clear();
    const login = () =>
      call(context, "POST", "/api/auth/root/login", {
        headers: client,
        body: { email: root.email, password: PASSWORD },
      });
    const first = (await login()).body.challengeId as string;
    expect((await verify(first, totpNow(context, secret))).status).toBe(200);
    await settle();
    expect(context.smtp.received).toEqual([]);

    context.clock.advance(30);
    const second = (await login()).body.challengeId as string;
    expect((await verify(second, wrongTotp(context, secret))).status).toBe(400);
    const mail = await context.smtp.waitFor(root.email, /wrong code for your account/);
    expect(mail.text).toContain(DEVICE);
    await settle();
    expect(context.smtp.received).toHaveLength(1);
  });
});

describe("a client's User-Agent is pasted verbatim into security mails (issue 13 item 7)", () => {
  it("the mail names the parsed browser and OS, never the raw header; the audit keeps the raw value, bounded", async () => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    context.smtp.clear();
    const challengeId = await memberChallenge(root, member.email);
    expect((await verify(challengeId, wrongTotp(context, member.secret))).status).toBe(400);
    for (const to of [member.email, root.email]) {
      const mail = await context.smtp.waitFor(to, /wrong code/);
      expect(mail.text).toContain(DEVICE);
      expect(mail.text).not.toContain("automatic check");
      expect(mail.text).not.toContain("Mozilla");
    }
    const [rejected] = await context.database.db
      .select({ userAgent: auditEvents.userAgent })
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, member.id), eq(auditEvents.type, "two_factor.code_rejected")));
    expect(rejected?.userAgent).toBe(AGENT);

    const long = `${AGENT} ${"x".repeat(2 * USER_AGENT_MAX_LENGTH)}`;
    context.clock.advance(30);
    const next = await memberChallenge(root, member.email);
    const rejectedAgain = await call(context, "POST", `/api/auth/challenges/${next}/verify`, {
      headers: { ...client, "user-agent": long },
      body: { code: wrongTotp(context, member.secret) },
    });
    expect(rejectedAgain.status).toBe(400);
    const mail = await context.smtp.waitFor(member.email, /wrong code/);
    expect(mail.text).toContain(DEVICE);
    const kept = await context.database.db
      .select({ userAgent: auditEvents.userAgent })
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, member.id), eq(auditEvents.type, "two_factor.code_rejected")));
    expect(kept.map((event) => event.userAgent)).toContain(long.slice(0, USER_AGENT_MAX_LENGTH));
  });
});

describe("deleting a member who has 2FA mails the root user (issue 13 item 13)", () => {
  it("the root user is told which member went, that it had 2FA, by whom and when; a member without 2FA goes quietly", async () => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    const plain = await createMember(context, root);
    context.smtp.clear();
    const deleted = await call(context, "DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie });
    expect(deleted.status).toBe(204);
    const notice = await context.smtp.waitFor(root.email, new RegExp(`${member.email} deleted`));
    expect(notice.text).toContain(`The member account ${member.email}`);
    expect(notice.text).toContain("two-factor authentication (an authenticator app)");
    expect(notice.text).toContain(`by ${root.email} at ${context.clock.now().toISOString()}`);

    expect(
      (await call(context, "DELETE", `/api/team/members/${plain.id}`, { cookie: root.cookie })).status,
    ).toBe(204);
    expect(context.smtp.received.map((mail) => mail.subject)).toEqual([
      `Member account ${member.email} deleted`,
    ]);
  });
});

describe("S3 a wrong code that locks code entry is mailed exactly once, with the time, address and end", () => {
  it("sign-in: the 10th wrong code locks; the member and the root user are mailed once", async () => {
    const root = await createRoot(context);
    const member = await memberWithTotp(root);
    context.smtp.clear();
    for (let challenge = 0; challenge < 2; challenge++) {
      const challengeId = await memberChallenge(root, member.email);
      for (let attempt = 0; attempt < 5; attempt++)
        expect((await verify(challengeId, wrongTotp(context, member.secret))).status).toBe(400);
    }
    const lockedUntil = addSeconds(context.clock.now(), CODE_LOCK_IN_SECONDS).toISOString();
    const own = await context.smtp.waitFor(member.email, /locked for your account/);
    for (const text of [
      `locked until ${lockedUntil}`,
      `Time: ${context.clock.now().toISOString()}`,
      `Client address: ${CLIENT}`,
    ])
      expect(own.text).toContain(text);
    const rootCopy = await context.smtp.waitFor(root.email, new RegExp(`locked for ${member.email}`));
    expect(rootCopy.text).toContain(`locked until ${lockedUntil}`);

    // Locked: further attempts are refused (429) and mail nothing more.
    const third = await memberChallenge(root, member.email);
    expect((await verify(third, wrongTotp(context, member.secret))).status).toBe(429);
    await settle();
    expect(mailsTo(member.email, /locked/)).toHaveLength(1);
    expect(mailsTo(root.email, /locked/)).toHaveLength(1);
    expect(mailsTo(member.email, /wrong code/)).toHaveLength(2);
  });

  it("setup confirmation: the wrong code that locks is mailed to the member and the root user", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: member.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    const secret = started.body.secret as string;
    for (let attempt = 0; attempt < 10; attempt++) {
      const refused = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
        cookie: member.cookie,
        headers: client,
        body: { code: wrongTotp(context, secret) },
      });
      expect(refused.status).toBe(400);
    }
    const own = await context.smtp.waitFor(member.email, /locked for your account/);
    expect(own.text).toContain(`Client address: ${CLIENT}`);
    await context.smtp.waitFor(root.email, new RegExp(`locked for ${member.email}`));
    await settle();
    expect(mailsTo(member.email, /locked/)).toHaveLength(1);
  });
});
