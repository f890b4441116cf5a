import { and, count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "./db/schema/index.js";
import {
  type ApiResponse,
  call,
  codeFrom,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

const context = useTestApp();

/** A six-digit code that is none of the codes the server accepts right now (steps T−1, T, T+1). */
function wrongTotp(ctx: TestContext, secret: string): string {
  const valid = new Set([-1, 0, 1].map((offset) => totpNow(ctx, secret, offset)));
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!valid.has(code)) return code;
  }
}

function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, "0");
}

async function expectInvalid(answer: Promise<ApiResponse>) {
  const resolved = await answer;
  expect(resolved.status).toBe(400);
  expect(resolved.body.error.code).toBe("INVALID_CODE");
}

async function expectLocked(answer: Promise<ApiResponse>) {
  const resolved = await answer;
  expect(resolved.status).toBe(429);
  expect(resolved.body.error.code).toBe("TOO_MANY_ATTEMPTS");
  const retryAfter = Number(resolved.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  return retryAfter;
}

async function auditCount(ctx: TestContext, subjectId: string, type: string): Promise<number> {
  const [row] = await ctx.database.db
    .select({ n: count() })
    .from(auditEvents)
    .where(and(eq(auditEvents.subjectId, subjectId), eq(auditEvents.type, type)));
  return row?.n ?? 0;
}

async function rootWithTotp(ctx: TestContext) {
  const root = await createRoot(ctx);
  const secret = await enableTotp(ctx, root.cookie);
  ctx.clock.advance(30);
  return { ...root, secret };
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

function mailCount(ctx: TestContext, to: string): number {
  return ctx.smtp.received.filter((mail) => mail.to === to).length;
}

describe("S3 brute force on second-factor codes", () => {
  it("S3: after 5 wrong codes the challenge is dead: even the right code gets 410 CHALLENGE_EXPIRED", async () => {
    const root = await rootWithTotp(context);
    const challengeId = await openChallenge(context, root.email);
    for (let index = 0; index < 5; index++) {
      await expectInvalid(verifyCode(context, challengeId, wrongTotp(context, root.secret)));
    }
    const right = await verifyCode(context, challengeId, totpNow(context, root.secret));
    expect(right.status).toBe(410);
    expect(right.body.error.code).toBe("CHALLENGE_EXPIRED");
    expect(right.cookie).toBeUndefined();

    const fresh = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, root.secret),
    );
    expect(fresh.status).toBe(200);
  });

  it("S3: 10 wrong codes across challenges lock code entry for 15 minutes with Retry-After, the right code too", async () => {
    const root = await rootWithTotp(context);
    for (let challenge = 0; challenge < 2; challenge++) {
      const challengeId = await openChallenge(context, root.email);
      for (let index = 0; index < 5; index++) {
        await expectInvalid(verifyCode(context, challengeId, wrongTotp(context, root.secret)));
      }
    }
    expect(await auditCount(context, root.id, "two_factor.locked")).toBe(1);

    const third = await openChallenge(context, root.email);
    expect(await expectLocked(verifyCode(context, third, totpNow(context, root.secret)))).toBe(15 * 60);
    await expectLocked(verifyCode(context, third, wrongTotp(context, root.secret)));

    context.clock.advance(14 * 60);
    const stillLocked = await openChallenge(context, root.email);
    expect(await expectLocked(verifyCode(context, stillLocked, totpNow(context, root.secret)))).toBe(60);

    context.clock.advance(60);
    const unlocked = await verifyCode(context, stillLocked, totpNow(context, root.secret));
    expect(unlocked.status).toBe(200);
    expect(unlocked.cookie).toBeDefined();
  });

  it("S3: 50 concurrent wrong codes on one challenge: 5 are evaluated, the rest are 410/429, none 5xx", async () => {
    const root = await rootWithTotp(context);
    const challengeId = await openChallenge(context, root.email);
    const wrong = wrongTotp(context, root.secret);

    const answers = await Promise.all(
      Array.from({ length: 50 }, () => verifyCode(context, challengeId, wrong)),
    );

    expect(answers.filter((answer) => answer.status === 400)).toHaveLength(5);
    for (const answer of answers.filter((entry) => entry.status !== 400)) {
      expect([410, 429]).toContain(answer.status);
    }
    expect(answers.every((answer) => answer.status < 500)).toBe(true);
    expect(await auditCount(context, root.id, "two_factor.code_rejected")).toBe(5);
  });

  it("S3: wrong codes at setup confirmation count toward the same per-user budget", async () => {
    const root = await createRoot(context);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    const secret = started.body.secret as string;
    for (let index = 0; index < 10; index++) {
      await expectInvalid(
        call(context, "POST", "/api/me/two-factor/setup/confirm", {
          cookie: root.cookie,
          body: { code: wrongTotp(context, secret) },
        }),
      );
    }
    await expectLocked(
      call(context, "POST", "/api/me/two-factor/setup/confirm", {
        cookie: root.cookie,
        body: { code: totpNow(context, secret) },
      }),
    );
    const me = await call(context, "GET", "/api/me", { cookie: root.cookie });
    expect(me.body.twoFactor.enabled).toBe(false);
  });

  it("S3: wrong codes at removal and at sign-in share the budget", async () => {
    const root = await rootWithTotp(context);
    for (let index = 0; index < 5; index++) {
      await expectInvalid(
        call(context, "DELETE", "/api/me/two-factor", {
          cookie: root.cookie,
          body: { code: wrongTotp(context, root.secret) },
        }),
      );
    }
    const challengeId = await openChallenge(context, root.email);
    for (let index = 0; index < 5; index++) {
      await expectInvalid(verifyCode(context, challengeId, wrongTotp(context, root.secret)));
    }
    await expectLocked(
      verifyCode(context, await openChallenge(context, root.email), totpNow(context, root.secret)),
    );
    await expectLocked(
      call(context, "DELETE", "/api/me/two-factor", {
        cookie: root.cookie,
        body: { code: totpNow(context, root.secret) },
      }),
    );
  });

  it("S3, S1: a malformed code is 400 VALIDATION_FAILED and costs no attempt", async () => {
    const root = await rootWithTotp(context);
    const challengeId = await openChallenge(context, root.email);
    const malformed = ["12345", "12 345", "abcdef", "1234567", " 123456", "１２３４５６", ""];
    for (let round = 0; round < 2; round++) {
      for (const code of malformed) {
        const answer = await verifyCode(context, challengeId, code);
        expect(answer.status).toBe(400);
        expect(answer.body.error.code).toBe("VALIDATION_FAILED");
      }
    }
    const numeric = await call(context, "POST", `/api/auth/challenges/${challengeId}/verify`, {
      body: { code: 123456 },
    });
    expect(numeric.status).toBe(400);
    expect(numeric.body.error.code).toBe("VALIDATION_FAILED");
    expect(await auditCount(context, root.id, "two_factor.code_rejected")).toBe(0);

    const right = await verifyCode(context, challengeId, totpNow(context, root.secret));
    expect(right.status).toBe(200);
  });

  it("S3: a password success does not reset the count", async () => {
    const root = await rootWithTotp(context);
    const first = await openChallenge(context, root.email);
    for (let index = 0; index < 5; index++) {
      await expectInvalid(verifyCode(context, first, wrongTotp(context, root.secret)));
    }
    const second = await openChallenge(context, root.email);
    for (let index = 0; index < 5; index++) {
      await expectInvalid(verifyCode(context, second, wrongTotp(context, root.secret)));
    }
    await expectLocked(
      verifyCode(context, await openChallenge(context, root.email), totpNow(context, root.secret)),
    );
  });

  it("S3: an email resend does not reset the count", async () => {
    const root = await createRoot(context);
    let seen = mailCount(context, root.email);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    const setupMail = await nextMail(context, root.email, seen);
    const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: codeFrom(setupMail.text) },
    });
    expect(confirmed.status).toBe(200);

    context.clock.advance(60);
    seen = mailCount(context, root.email);
    const first = await openChallenge(context, root.email);
    const firstCode = codeFrom((await nextMail(context, root.email, seen)).text);
    for (let index = 0; index < 4; index++) {
      await expectInvalid(verifyCode(context, first, otherCode(firstCode)));
    }
    context.clock.advance(60);
    seen = mailCount(context, root.email);
    expect((await call(context, "POST", `/api/auth/challenges/${first}/resend`)).status).toBe(202);
    const resentCode = codeFrom((await nextMail(context, root.email, seen)).text);
    await expectInvalid(verifyCode(context, first, otherCode(resentCode)));

    context.clock.advance(60);
    seen = mailCount(context, root.email);
    const second = await openChallenge(context, root.email);
    const secondCode = codeFrom((await nextMail(context, root.email, seen)).text);
    for (let index = 0; index < 5; index++) {
      await expectInvalid(verifyCode(context, second, otherCode(secondCode)));
    }

    context.clock.advance(60);
    seen = mailCount(context, root.email);
    const third = await openChallenge(context, root.email);
    const thirdCode = codeFrom((await nextMail(context, root.email, seen)).text);
    await expectLocked(verifyCode(context, third, thirdCode));
  });

  it("S3: a successful code resets the count", async () => {
    const root = await rootWithTotp(context);
    for (let round = 0; round < 3; round++) {
      const dead = await openChallenge(context, root.email);
      for (let index = 0; index < 5; index++) {
        await expectInvalid(verifyCode(context, dead, wrongTotp(context, root.secret)));
      }
      const challengeId = await openChallenge(context, root.email);
      for (let index = 0; index < 4; index++) {
        await expectInvalid(verifyCode(context, challengeId, wrongTotp(context, root.secret)));
      }
      const right = await verifyCode(context, challengeId, totpNow(context, root.secret));
      expect(right.status).toBe(200);
      context.clock.advance(30);
    }
  });

  it("S3: a sign-in challenge lives 10 minutes, then even the right code gets 410", async () => {
    const root = await rootWithTotp(context);
    const early = await openChallenge(context, root.email);
    const late = await openChallenge(context, root.email);
    context.clock.advance(10 * 60 - 1);
    expect((await verifyCode(context, early, totpNow(context, root.secret))).status).toBe(200);

    context.clock.advance(31);
    const expired = await verifyCode(context, late, totpNow(context, root.secret));
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe("CHALLENGE_EXPIRED");
    expect(expired.cookie).toBeUndefined();
  });
  it("S3: 30 concurrent wrong codes over 6 challenges: at most 10 are evaluated, then code entry is locked", async () => {
    const root = await rootWithTotp(context);
    const challengeIds: string[] = [];
    for (let index = 0; index < 6; index++) challengeIds.push(await openChallenge(context, root.email));
    const wrong = wrongTotp(context, root.secret);

    const answers = await Promise.all(
      challengeIds.flatMap((challengeId) =>
        Array.from({ length: 5 }, () => verifyCode(context, challengeId, wrong)),
      ),
    );

    expect(answers.filter((answer) => answer.status === 400)).toHaveLength(10);
    for (const answer of answers.filter((entry) => entry.status !== 400)) expect(answer.status).toBe(429);
    expect(await auditCount(context, root.id, "two_factor.code_rejected")).toBe(10);
    await expectLocked(
      verifyCode(context, await openChallenge(context, root.email), totpNow(context, root.secret)),
    );
  });
});
