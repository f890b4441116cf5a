import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, codeAttemptBudgets } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";
import { expectStepUpRequired, mailedCode, makeStale, stepUp, wrongTotp } from "./test/step-up.js";

// Step-up (issue 5): the code of POST /api/me/step-up is checked like every code (S1, S2, S3).

const context = useTestApp();

async function staleRootWithTotp(ctx: TestContext) {
  const root = await createRoot(ctx);
  const target = await createMember(ctx, root);
  const secret = await enableTotp(ctx, root.cookie);
  await makeStale(ctx, [root.cookie]);
  return { ...root, secret, target };
}

function deleteMember(ctx: TestContext, cookie: string, id: string) {
  return call(ctx, "DELETE", `/api/team/members/${id}`, { cookie });
}

async function budgetCount(ctx: TestContext, userId: string): Promise<number> {
  const [row] = await ctx.database.db
    .select({ count: codeAttemptBudgets.count })
    .from(codeAttemptBudgets)
    .where(eq(codeAttemptBudgets.userId, userId));
  return row?.count ?? 0;
}

async function auditDetails(ctx: TestContext, actorId: string, type: string) {
  const rows = await ctx.database.db
    .select({ detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(eq(auditEvents.actorId, actorId), eq(auditEvents.type, type)));
  return rows.map((row) => row.detail);
}

describe("Step-up codes", () => {
  it("Step-up, S3: a wrong code is 400 INVALID_CODE, charged before the check and audited; the 11th code is locked out", async () => {
    const root = await staleRootWithTotp(context);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const wrong = await stepUp(context, root.cookie, wrongTotp(context, root.secret));
      expect([wrong.status, wrong.body.error.code]).toEqual([400, "INVALID_CODE"]);
      if (attempt === 1) {
        expect(await budgetCount(context, root.id)).toBe(1);
        expect(await auditDetails(context, root.id, "two_factor.code_rejected")).toEqual([
          { purpose: "step_up", method: "totp" },
        ]);
      }
    }
    const locked = await stepUp(context, root.cookie, totpNow(context, root.secret));
    expect([locked.status, locked.body.error.code]).toEqual([429, "TOO_MANY_ATTEMPTS"]);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expectStepUpRequired(await deleteMember(context, root.cookie, root.target.id));
    expect(await auditDetails(context, root.id, "two_factor.stepped_up")).toEqual([]);
  });

  it("Step-up, S3: a valid step-up resets the user's wrong-code count", async () => {
    const root = await staleRootWithTotp(context);
    await stepUp(context, root.cookie, wrongTotp(context, root.secret));
    expect(await budgetCount(context, root.id)).toBe(1);
    expect((await stepUp(context, root.cookie, totpNow(context, root.secret))).status).toBe(200);
    expect(await budgetCount(context, root.id)).toBe(0);
  });

  it("Step-up, S2: a TOTP step is accepted once: the same code again, and the sign-in code, are refused", async () => {
    const root = await staleRootWithTotp(context);
    const code = totpNow(context, root.secret);
    expect((await stepUp(context, root.cookie, code)).status).toBe(200);
    const replay = await stepUp(context, root.cookie, code);
    expect([replay.status, replay.body.error.code]).toEqual([400, "INVALID_CODE"]);

    context.clock.advance(30);
    const signInCode = totpNow(context, root.secret);
    const signedIn = await verifyCode(context, await openChallenge(context, root.email), signInCode);
    expect(signedIn.status).toBe(200);
    const reused = await stepUp(context, root.cookie, signInCode);
    expect([reused.status, reused.body.error.code]).toEqual([400, "INVALID_CODE"]);
    // An earlier step than the last accepted one is refused too.
    const older = await stepUp(context, root.cookie, totpNow(context, root.secret, -1));
    expect(older.status).toBe(400);
  });

  it("Step-up, S2: 10 concurrent step-ups with one code succeed once", async () => {
    const root = await staleRootWithTotp(context);
    const code = totpNow(context, root.secret);
    const answers = await Promise.all(Array.from({ length: 10 }, () => stepUp(context, root.cookie, code)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 400)).toHaveLength(9);
    expect(await auditDetails(context, root.id, "two_factor.stepped_up")).toEqual([{ method: "totp" }]);
  });

  it("Step-up, R7: a root user with the email method steps up with the action code of POST /api/me/two-factor/code", async () => {
    const root = await createRoot(context);
    const target = await createMember(context, root);
    const setupCode = await mailedCode(context, root.email, () =>
      call(context, "POST", "/api/me/two-factor/setup", {
        cookie: root.cookie,
        body: { method: "email", password: PASSWORD },
      }),
    );
    const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: setupCode },
    });
    expect(confirmed.status).toBe(200);
    await makeStale(context, [root.cookie]);
    expectStepUpRequired(await deleteMember(context, root.cookie, target.id));

    const actionCode = await mailedCode(context, root.email, async () => {
      expect((await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie })).status).toBe(
        202,
      );
    });
    expect((await stepUp(context, root.cookie, actionCode)).status).toBe(200);
    expect((await deleteMember(context, root.cookie, target.id)).status).toBe(204);
    expect(await auditDetails(context, root.id, "two_factor.stepped_up")).toEqual([{ method: "email" }]);
    const again = await stepUp(context, root.cookie, actionCode);
    expect([again.status, again.body.error.code]).toEqual([400, "INVALID_CODE"]);
  });

  it("Step-up: without a session it is 401 UNAUTHENTICATED", async () => {
    const answer = await call(context, "POST", "/api/me/step-up", { body: { code: "123456" } });
    expect([answer.status, answer.body.error.code]).toEqual([401, "UNAUTHENTICATED"]);
  });
});
