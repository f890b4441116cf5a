import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { emailCodes } from "./db/schema/index.js";
import {
  call,
  codeFrom,
  createRoot,
  enableTotp,
  PASSWORD,
  type TestContext,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

function mailCount(ctx: TestContext, to: string): number {
  return ctx.smtp.received.filter((mail) => mail.to === to).length;
}

/** Waits for the next mail to `to` after `seen` mails, so an older code is never picked up. */
async function nextMail(ctx: TestContext, to: string, seen: number) {
  for (let tries = 0; tries < 100; tries++) {
    const mails = ctx.smtp.received.filter((mail) => mail.to === to);
    if (mails.length > seen) return mails[mails.length - 1] as (typeof mails)[number];
    await ctx.smtp.waitFor(to, /./, 100).catch(() => undefined);
  }
  throw new Error(`no new mail to ${to}`);
}

/** Runs `send` and returns the six-digit code of the mail it produced. */
async function mailedCode(ctx: TestContext, to: string, send: () => Promise<unknown>): Promise<string> {
  const seen = mailCount(ctx, to);
  await send();
  return codeFrom((await nextMail(ctx, to, seen)).text);
}

function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, "0");
}

function login(ctx: TestContext, email: string) {
  return call(ctx, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
}

function verify(ctx: TestContext, challengeId: string, code: string) {
  return call(ctx, "POST", `/api/auth/challenges/${challengeId}/verify`, { body: { code } });
}

function resend(ctx: TestContext, challengeId: string) {
  return call(ctx, "POST", `/api/auth/challenges/${challengeId}/resend`);
}

/** Opens a sign-in challenge and returns its id and the mailed code. */
async function openEmailChallenge(ctx: TestContext, email: string) {
  let challengeId = "";
  const code = await mailedCode(ctx, email, async () => {
    const answer = await login(ctx, email);
    expect(answer.body).toMatchObject({ status: "two_factor_required", method: "email" });
    challengeId = answer.body.challengeId;
  });
  return { challengeId, code };
}

/** A root user with email 2FA enabled; the clock is then moved past the mail budget's window. */
async function rootWithEmailTwoFactor(ctx: TestContext) {
  const root = await createRoot(ctx);
  const code = await mailedCode(ctx, root.email, async () => {
    const started = await call(ctx, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    expect(started.status).toBe(200);
  });
  const confirmed = await call(ctx, "POST", "/api/me/two-factor/setup/confirm", {
    cookie: root.cookie,
    body: { code },
  });
  expect(confirmed.status).toBe(200);
  ctx.clock.advance(15 * 60);
  return root;
}

describe("S1 email codes", () => {
  it("S1, R7, R8: a root user enables email 2FA with a mailed code, then signs in with one", async () => {
    const root = await createRoot(context);
    const seen = mailCount(context, root.email);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ method: "email" });
    expect(started.body.maskedEmail).not.toBe(root.email);
    expect(started.body.maskedEmail).toMatch(/@example\.com$/);
    expect(started.body.secret).toBeUndefined();
    const setupCode = codeFrom((await nextMail(context, root.email, seen)).text);

    const wrong = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: otherCode(setupCode) },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("INVALID_CODE");
    const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: setupCode },
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.twoFactor).toMatchObject({ enabled: true, method: "email" });

    // S3: a challenge's first mail is not a resend, so testing the sign-in right away gets a code…
    const { challengeId, code } = await openEmailChallenge(context, root.email);
    // …and it starts the resend cooldown.
    expect((await resend(context, challengeId)).status).toBe(429);
    const signedIn = await verify(context, challengeId, code);
    expect(signedIn.status).toBe(200);
    const me = await call(context, "GET", "/api/me", { cookie: signedIn.cookie });
    expect(me.body.twoFactor).toMatchObject({ enabled: true, method: "email" });
  });

  it("S1: a sign-in code works until its challenge ends at 10 minutes, and a resent code does not outlive it", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const inTime = await openEmailChallenge(context, root.email);
    context.clock.advance(10 * 60 - 1);
    expect((await verify(context, inTime.challengeId, inTime.code)).status).toBe(200);

    context.clock.advance(60);
    const challenge = await openEmailChallenge(context, root.email);
    context.clock.advance(5 * 60);
    const resent = await mailedCode(context, root.email, () => resend(context, challenge.challengeId));
    context.clock.advance(5 * 60);
    const late = await verify(context, challenge.challengeId, resent);
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe("CHALLENGE_EXPIRED");
  });

  it("S1: an action code expires after 10 minutes", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const code = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie }),
    );
    context.clock.advance(10 * 60);
    const expired = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code },
    });
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe("INVALID_CODE");

    const fresh = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie }),
    );
    context.clock.advance(10 * 60 - 1);
    expect(
      (await call(context, "DELETE", "/api/me/two-factor", { cookie: root.cookie, body: { code: fresh } }))
        .status,
    ).toBe(204);
  });

  it("S3: a second action code within a minute waits like a resend; the first one still works", async () => {
    const root = await rootWithEmailTwoFactor(context);
    context.clock.advance(60);
    const first = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie }),
    );
    const seen = mailCount(context, root.email);
    context.clock.advance(30);
    const early = await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie });
    expect(early.status).toBe(429);
    expect(early.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(early.headers.get("retry-after")).toBe("30");
    expect(mailCount(context, root.email)).toBe(seen);

    context.clock.advance(30);
    const second = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie }),
    );
    const stale = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: first },
    });
    expect(stale.body.error.code).toBe("INVALID_CODE");
    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: second },
    });
    expect(removed.status).toBe(204);
  });

  it("S3: a refused early action code leaves the live one usable", async () => {
    const root = await rootWithEmailTwoFactor(context);
    context.clock.advance(60);
    const first = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie }),
    );
    expect((await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie })).status).toBe(
      429,
    );
    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: first },
    });
    expect(removed.status).toBe(204);
  });

  it("S1: an email code is single use", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId, code } = await openEmailChallenge(context, root.email);
    expect((await verify(context, challengeId, code)).status).toBe(200);
    const again = await verify(context, challengeId, code);
    expect(again.status).not.toBe(200);
    expect(again.cookie).toBeUndefined();
    const rows = await context.database.db
      .select()
      .from(emailCodes)
      .where(eq(emailCodes.bindingId, challengeId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.consumedAt).not.toBeNull();
  });

  it("S1: a resend kills the old code and makes a new one", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId, code: oldCode } = await openEmailChallenge(context, root.email);
    context.clock.advance(60);
    const newCode = await mailedCode(context, root.email, async () => {
      expect((await resend(context, challengeId)).status).toBe(202);
    });
    expect(newCode).not.toBe(oldCode);
    const old = await verify(context, challengeId, oldCode);
    expect(old.status).toBe(400);
    expect(old.body.error.code).toBe("INVALID_CODE");
    expect((await verify(context, challengeId, newCode)).status).toBe(200);
  });

  it("S3: a resend within 60 seconds of the last mail is 429 with Retry-After", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId } = await openEmailChallenge(context, root.email);
    const seen = mailCount(context, root.email);

    const immediate = await resend(context, challengeId);
    expect(immediate.status).toBe(429);
    expect(immediate.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(immediate.headers.get("retry-after")).toBe("60");
    context.clock.advance(59);
    const almost = await resend(context, challengeId);
    expect(almost.status).toBe(429);
    expect(almost.headers.get("retry-after")).toBe("1");
    expect(mailCount(context, root.email)).toBe(seen);

    context.clock.advance(1);
    expect((await resend(context, challengeId)).status).toBe(202);
    await nextMail(context, root.email, seen);
  });

  it("S3: at most 5 mails per 15 minutes, the first mail of a challenge included", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId } = await openEmailChallenge(context, root.email);
    for (let index = 0; index < 4; index++) {
      context.clock.advance(60);
      expect((await resend(context, challengeId)).status).toBe(202);
    }
    const seen = mailCount(context, root.email);
    context.clock.advance(60);
    const sixth = await resend(context, challengeId);
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(sixth.headers.get("retry-after")).toBe(String(15 * 60 - 5 * 60));
    expect(mailCount(context, root.email)).toBe(seen);

    context.clock.advance(10 * 60);
    const { challengeId: next, code } = await openEmailChallenge(context, root.email);
    expect((await verify(context, next, code)).status).toBe(200);
  });

  it("S1: a sign-in code is bound to its challenge", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const first = await openEmailChallenge(context, root.email);
    context.clock.advance(60);
    const second = await openEmailChallenge(context, root.email);

    const crossed = await verify(context, second.challengeId, first.code);
    expect(crossed.status).toBe(400);
    expect(crossed.body.error.code).toBe("INVALID_CODE");
    const crossedBack = await verify(context, first.challengeId, second.code);
    expect(crossedBack.status).toBe(400);
    expect(crossedBack.body.error.code).toBe("INVALID_CODE");
    expect((await verify(context, second.challengeId, second.code)).status).toBe(200);
  });

  it("S1: a sign-in code cannot confirm an action, nor an action code a sign-in", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const signIn = await openEmailChallenge(context, root.email);
    const misused = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: signIn.code },
    });
    expect(misused.status).toBe(400);
    expect(misused.body.error.code).toBe("INVALID_CODE");
    expect((await verify(context, signIn.challengeId, signIn.code)).status).toBe(200);

    context.clock.advance(60);
    const actionCode = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie }),
    );
    context.clock.advance(60);
    const challenge = await openEmailChallenge(context, root.email);
    const wrongPurpose = await verify(context, challenge.challengeId, actionCode);
    expect(wrongPurpose.status).toBe(400);
    expect(wrongPurpose.body.error.code).toBe("INVALID_CODE");

    const me = await call(context, "GET", "/api/me", { cookie: root.cookie });
    expect(me.body.twoFactor).toMatchObject({ enabled: true, method: "email" });
    expect(
      (
        await call(context, "DELETE", "/api/me/two-factor", {
          cookie: root.cookie,
          body: { code: actionCode },
        })
      ).status,
    ).toBe(204);
  });

  it("S1: resend on an authenticator-app challenge is 409 METHOD_NOT_ALLOWED", async () => {
    const root = await createRoot(context);
    await enableTotp(context, root.cookie);
    const answer = await login(context, root.email);
    expect(answer.body.method).toBe("totp");
    const seen = mailCount(context, root.email);
    const resent = await resend(context, answer.body.challengeId);
    expect(resent.status).toBe(409);
    expect(resent.body.error.code).toBe("METHOD_NOT_ALLOWED");
    const actionCode = await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie });
    expect(actionCode.status).toBe(409);
    expect(actionCode.body.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(mailCount(context, root.email)).toBe(seen);
  });

  it("R10: the root user removes email 2FA with an emailed action code, and is told by mail", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const code = await mailedCode(context, root.email, async () => {
      expect((await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie })).status).toBe(
        202,
      );
    });

    const wrong = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: otherCode(code) },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe("INVALID_CODE");
    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code },
    });
    expect(removed.status).toBe(204);
    await context.smtp.waitFor(root.email, /removed/);

    const me = await call(context, "GET", "/api/me", { cookie: root.cookie });
    expect(me.body.twoFactor.enabled).toBe(false);
    const again = await login(context, root.email);
    expect(again.body.status).toBe("authenticated");
    expect(again.cookie).toBeDefined();
  });

  it("S1: an email code is stored only as a keyed hash", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId, code } = await openEmailChallenge(context, root.email);
    const rows = await context.database.db
      .select()
      .from(emailCodes)
      .where(eq(emailCodes.bindingId, challengeId));
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows);
    const plainHashes = ["sha256", "sha1", "md5"].flatMap((algorithm) => {
      const digest = createHash(algorithm).update(code).digest();
      return [digest.toString("hex"), digest.toString("base64"), digest.toString("base64url")];
    });
    for (const forbidden of [code, ...plainHashes]) expect(stored).not.toContain(forbidden);
    expect((await verify(context, challengeId, code)).status).toBe(200);
  });
  it("S3: 10 concurrent resends send one mail", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId } = await openEmailChallenge(context, root.email);
    context.clock.advance(60);
    const seen = mailCount(context, root.email);
    const answers = await Promise.all(Array.from({ length: 10 }, () => resend(context, challengeId)));
    expect(answers.filter((answer) => answer.status === 202)).toHaveLength(1);
    for (const answer of answers.filter((entry) => entry.status !== 202)) {
      expect(answer.status).toBe(429);
      expect(answer.headers.get("retry-after")).toBe("60");
    }
    const code = codeFrom((await nextMail(context, root.email, seen)).text);
    expect(mailCount(context, root.email)).toBe(seen + 1);
    expect((await verify(context, challengeId, code)).status).toBe(200);
  });
  it("S3: a challenge killed by 5 wrong codes cannot be resent", async () => {
    const root = await rootWithEmailTwoFactor(context);
    const { challengeId, code } = await openEmailChallenge(context, root.email);
    for (let index = 0; index < 5; index++) {
      expect((await verify(context, challengeId, otherCode(code))).status).toBe(400);
    }
    context.clock.advance(60);
    const seen = mailCount(context, root.email);
    const resent = await resend(context, challengeId);
    expect(resent.status).toBe(410);
    expect(resent.body.error.code).toBe("CHALLENGE_EXPIRED");
    expect(mailCount(context, root.email)).toBe(seen);
  });
});
