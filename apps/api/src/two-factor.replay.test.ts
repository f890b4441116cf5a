import { and, count, eq, isNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, sessions } from "./db/schema/index.js";
import {
  call,
  createRoot,
  enableTotp,
  openChallenge,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

const context = useTestApp();

async function liveSessionCount(ctx: TestContext, userId: string): Promise<number> {
  const [row] = await ctx.database.db
    .select({ n: count() })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
  return row?.n ?? 0;
}

async function rootWithTotp(ctx: TestContext) {
  const root = await createRoot(ctx);
  const secret = await enableTotp(ctx, root.cookie);
  return { ...root, secret };
}

describe("S2 no replay of TOTP codes", () => {
  it("S2: a code is accepted once; the same code on a new challenge is 400 INVALID_CODE", async () => {
    const root = await rootWithTotp(context);
    context.clock.advance(30);
    const code = totpNow(context, root.secret);

    const first = await verifyCode(context, await openChallenge(context, root.email), code);
    expect(first.status).toBe(200);
    expect(first.cookie).toBeDefined();

    const replay = await verifyCode(context, await openChallenge(context, root.email), code);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe("INVALID_CODE");
    expect(replay.cookie).toBeUndefined();
  });

  it("S2: a code of a step at or before the last accepted one is refused, a later step is accepted", async () => {
    const root = await rootWithTotp(context);
    context.clock.advance(30);
    // Accept the step T+1 (inside the window): steps T and T+1 are then both used up.
    const ahead = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, root.secret, 1),
    );
    expect(ahead.status).toBe(200);

    const challengeId = await openChallenge(context, root.email);
    const current = await verifyCode(context, challengeId, totpNow(context, root.secret, 0));
    expect(current.status).toBe(400);
    expect(current.body.error.code).toBe("INVALID_CODE");
    const previous = await verifyCode(context, challengeId, totpNow(context, root.secret, -1));
    expect(previous.status).toBe(400);
    expect(previous.body.error.code).toBe("INVALID_CODE");

    context.clock.advance(30);
    const sameStepLater = await verifyCode(context, challengeId, totpNow(context, root.secret, 0));
    expect(sameStepLater.status).toBe(400);
    expect(sameStepLater.body.error.code).toBe("INVALID_CODE");

    context.clock.advance(30);
    const next = await verifyCode(context, challengeId, totpNow(context, root.secret, 0));
    expect(next.status).toBe(200);
  });

  it("S2: the setup confirmation's step counts: the code that confirmed the setup cannot sign in", async () => {
    const root = await rootWithTotp(context);
    const challengeId = await openChallenge(context, root.email);

    const confirmingCode = await verifyCode(context, challengeId, totpNow(context, root.secret, 0));
    expect(confirmingCode.status).toBe(400);
    expect(confirmingCode.body.error.code).toBe("INVALID_CODE");
    const earlier = await verifyCode(context, challengeId, totpNow(context, root.secret, -1));
    expect(earlier.status).toBe(400);
    expect(earlier.body.error.code).toBe("INVALID_CODE");

    const later = await verifyCode(context, challengeId, totpNow(context, root.secret, 1));
    expect(later.status).toBe(200);
  });

  it("S2: 20 concurrent verifications of one valid code on one challenge give exactly one session", async () => {
    const root = await rootWithTotp(context);
    context.clock.advance(30);
    const challengeId = await openChallenge(context, root.email);
    const code = totpNow(context, root.secret);
    const before = await liveSessionCount(context, root.id);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => verifyCode(context, challengeId, code)),
    );

    const successes = answers.filter((answer) => answer.status === 200);
    expect(successes).toHaveLength(1);
    expect(answers.filter((answer) => answer.cookie !== undefined)).toHaveLength(1);
    for (const answer of answers.filter((entry) => entry.status !== 200)) {
      expect([400, 410]).toContain(answer.status);
    }
    expect(await liveSessionCount(context, root.id)).toBe(before + 1);
    expect((await call(context, "GET", "/api/me", { cookie: successes[0]?.cookie })).status).toBe(200);
  });

  it("S2: the same code sent concurrently to 20 challenges of one user succeeds exactly once", async () => {
    const root = await rootWithTotp(context);
    context.clock.advance(30);
    const challengeIds: string[] = [];
    for (let index = 0; index < 20; index++) challengeIds.push(await openChallenge(context, root.email));
    const code = totpNow(context, root.secret);
    const before = await liveSessionCount(context, root.id);

    const answers = await Promise.all(
      challengeIds.map((challengeId) => verifyCode(context, challengeId, code)),
    );

    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.cookie !== undefined)).toHaveLength(1);
    for (const answer of answers.filter((entry) => entry.status !== 200)) {
      expect([400, 429]).toContain(answer.status);
    }
    expect(await liveSessionCount(context, root.id)).toBe(before + 1);
  });
  it("S2: a code accepted at sign-in cannot then confirm the removal of 2FA (R10)", async () => {
    const root = await rootWithTotp(context);
    context.clock.advance(30);
    const code = totpNow(context, root.secret);
    const signedIn = await verifyCode(context, await openChallenge(context, root.email), code);
    expect(signedIn.status).toBe(200);

    const removal = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: signedIn.cookie,
      body: { code },
    });
    expect(removal.status).toBe(400);
    expect(removal.body.error.code).toBe("INVALID_CODE");
    const me = await call(context, "GET", "/api/me", { cookie: signedIn.cookie });
    expect(me.body.twoFactor.enabled).toBe(true);

    context.clock.advance(30);
    const fresh = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: signedIn.cookie,
      body: { code: totpNow(context, root.secret) },
    });
    expect(fresh.status).toBe(204);
  });
  it("S2: 10 concurrent removals with one valid code remove 2FA once", async () => {
    const root = await rootWithTotp(context);
    context.clock.advance(30);
    const code = totpNow(context, root.secret);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        call(context, "DELETE", "/api/me/two-factor", { cookie: root.cookie, body: { code } }),
      ),
    );
    expect(answers.filter((answer) => answer.status === 204)).toHaveLength(1);
    for (const answer of answers.filter((entry) => entry.status !== 204))
      expect([400, 404]).toContain(answer.status);
    const [row] = await context.database.db
      .select({ n: count() })
      .from(auditEvents)
      .where(and(eq(auditEvents.subjectId, root.id), eq(auditEvents.type, "two_factor.removed")));
    expect(row?.n).toBe(1);
  });
});
