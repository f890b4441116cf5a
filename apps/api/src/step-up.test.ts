import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";
import {
  enableTotpWithRecoveryCodes,
  expectStepUpRequired,
  makeStale,
  snapshot,
  stepUp,
} from "./test/step-up.js";

// Step-up (issue 5): sensitive team actions need a code entered in this session within 10 minutes.

const context = useTestApp();

/** A root user with TOTP (stamped at setup), a plain active member and a member with TOTP. */
async function makeScene(ctx: TestContext) {
  const root = await createRoot(ctx);
  const target = await createMember(ctx, root);
  const withTwoFactor = await createMember(ctx, root);
  await enableTotp(ctx, withTwoFactor.cookie);
  const secret = await enableTotp(ctx, root.cookie);
  return { root: { ...root, secret }, target, withTwoFactor };
}
type Scene = Awaited<ReturnType<typeof makeScene>>;

interface Action {
  method: string;
  path: string;
  body?: unknown;
  status: number;
}

async function memberOf(ctx: TestContext, cookie: string, id: string) {
  const list = await call(ctx, "GET", "/api/team/members", { cookie });
  return (list.body.members as { id: string }[]).find((member) => member.id === id) as
    | Record<string, unknown>
    | undefined;
}

const sensitiveActions: [string, (scene: Scene) => Action, (scene: Scene) => Promise<void>][] = [
  [
    "Remove 2FA of a member",
    (s) => ({ method: "DELETE", path: `/api/team/members/${s.withTwoFactor.id}/two-factor`, status: 204 }),
    async (s) =>
      expect((await memberOf(context, s.root.cookie, s.withTwoFactor.id))?.twoFactor).toMatchObject({
        enabled: false,
      }),
  ],
  [
    "delete a member",
    (s) => ({ method: "DELETE", path: `/api/team/members/${s.target.id}`, status: 204 }),
    async (s) => expect(await memberOf(context, s.root.cookie, s.target.id)).toBeUndefined(),
  ],
  [
    "disable a member",
    (s) => ({
      method: "PATCH",
      path: `/api/team/members/${s.target.id}`,
      body: { status: "disabled" },
      status: 200,
    }),
    async (s) => expect((await memberOf(context, s.root.cookie, s.target.id))?.status).toBe("disabled"),
  ],
  [
    "disable a member and edit its remark",
    (s) => ({
      method: "PATCH",
      path: `/api/team/members/${s.target.id}`,
      body: { status: "disabled", remark: "left" },
      status: 200,
    }),
    async (s) =>
      expect(await memberOf(context, s.root.cookie, s.target.id)).toMatchObject({
        status: "disabled",
        remark: "left",
      }),
  ],
  [
    "change a member's roles",
    (s) => ({
      method: "PATCH",
      path: `/api/team/members/${s.target.id}`,
      body: { roles: ["administrator"] },
      status: 200,
    }),
    async (s) =>
      expect((await memberOf(context, s.root.cookie, s.target.id))?.roles).toEqual(["administrator"]),
  ],
  [
    "set a member's SSO flag",
    (s) => ({ method: "PATCH", path: `/api/team/members/${s.target.id}`, body: { sso: true }, status: 200 }),
    async (s) => expect((await memberOf(context, s.root.cookie, s.target.id))?.sso).toBe(true),
  ],
  [
    "sign a member out everywhere (§6.5)",
    (s) => ({ method: "DELETE", path: `/api/team/members/${s.target.id}/sessions`, status: 204 }),
    async (s) =>
      expect((await call(context, "GET", "/api/me", { cookie: s.target.cookie })).status).toBe(401),
  ],
  [
    "invite an Administrator (who could act without a code)",
    () => ({
      method: "POST",
      path: "/api/team/members",
      body: {
        email: "new.admin@example.com",
        password: "correct horse battery staple",
        roles: ["administrator"],
      },
      status: 201,
    }),
    async (s) => {
      const list = await call(context, "GET", "/api/team/members", { cookie: s.root.cookie });
      expect(list.body.members).toContainEqual(
        expect.objectContaining({
          email: "new.admin@example.com",
          roles: ["administrator"],
          status: "pending",
        }),
      );
    },
  ],
  [
    "require 2FA for members (the team policy)",
    () => ({
      method: "PATCH",
      path: "/api/team/settings/two-factor-policy",
      body: { requireMemberTwoFactor: true },
      status: 200,
    }),
    async (s) =>
      expect(
        (await call(context, "GET", "/api/team/settings/two-factor-policy", { cookie: s.root.cookie })).body,
      ).toMatchObject({ requireMemberTwoFactor: true }),
  ],
  [
    "change the team settings (recovery codes for members)",
    () => ({
      method: "PATCH",
      path: "/api/team/settings",
      body: { allowMemberRecoveryCodes: true },
      status: 200,
    }),
    async (s) =>
      expect(
        (await call(context, "GET", "/api/team/settings", { cookie: s.root.cookie })).body,
      ).toMatchObject({
        allowMemberRecoveryCodes: true,
      }),
  ],
];

function perform(ctx: TestContext, cookie: string, action: Action) {
  return call(ctx, action.method, action.path, {
    cookie,
    ...(action.body === undefined ? {} : { body: action.body }),
  });
}

describe("Step-up: sensitive team actions need a code entered within 10 minutes", () => {
  it.each(sensitiveActions)(
    "Step-up: %s — 10 min after the last code it is 403 STEP_UP_REQUIRED and changes nothing; after POST /api/me/step-up it goes through",
    async (_label, actionOf, check) => {
      const scene = await makeScene(context);
      const action = actionOf(scene);
      await makeStale(context, [scene.root.cookie]);
      const before = await snapshot(context);

      expectStepUpRequired(await perform(context, scene.root.cookie, action));
      expect(await snapshot(context)).toEqual(before);

      const stepped = await stepUp(context, scene.root.cookie, totpNow(context, scene.root.secret));
      expect(stepped.status).toBe(200);
      expect(stepped.body).toEqual({
        steppedUpUntil: new Date(context.clock.now().getTime() + 600_000).toISOString(),
      });
      const done = await perform(context, scene.root.cookie, action);
      expect(done.status, JSON.stringify(done.body)).toBe(action.status);
      await check(scene);

      const audited = await context.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.type, "two_factor.stepped_up"), eq(auditEvents.actorId, scene.root.id)));
      expect(audited).toHaveLength(1);
      expect(audited[0]).toMatchObject({ subjectId: scene.root.id, detail: { method: "totp" } });
    },
  );

  it("Step-up: the window is exact: 599 s after the code the action passes, at 600 s it is refused", async () => {
    const scene = await makeScene(context);
    const start = context.clock.now();
    context.clock.set(new Date(start.getTime() + 599_000));
    const roles = { method: "PATCH", path: `/api/team/members/${scene.target.id}`, status: 200 };
    expect(
      (await perform(context, scene.root.cookie, { ...roles, body: { roles: ["auditor"] } })).status,
    ).toBe(200);
    context.clock.set(new Date(start.getTime() + 600_000));
    expectStepUpRequired(
      await perform(context, scene.root.cookie, { ...roles, body: { roles: ["accountant"] } }),
    );
    expect((await memberOf(context, scene.root.cookie, scene.target.id))?.roles).toEqual(["auditor"]);
  });

  it("Step-up: the sign-in code counts, for its own session only, and for 10 minutes", async () => {
    const scene = await makeScene(context);
    await makeStale(context, [scene.root.cookie]);
    const signedIn = await verifyCode(
      context,
      await openChallenge(context, scene.root.email),
      totpNow(context, scene.root.secret),
    );
    expect(signedIn.status).toBe(200);
    const fresh = signedIn.cookie as string;
    const disable = { method: "PATCH", path: `/api/team/members/${scene.target.id}`, status: 200 };

    expectStepUpRequired(
      await perform(context, scene.root.cookie, { ...disable, body: { status: "disabled" } }),
    );
    expect((await perform(context, fresh, { ...disable, body: { status: "disabled" } })).status).toBe(200);

    await makeStale(context, [fresh], 600);
    expectStepUpRequired(await perform(context, fresh, { ...disable, body: { roles: ["auditor"] } }));
  });

  it("Step-up: a recovery-code sign-in counts as a code", async () => {
    const root = await createRoot(context);
    const target = await createMember(context, root);
    const { recoveryCodes } = await enableTotpWithRecoveryCodes(context, root.cookie);
    await makeStale(context, [root.cookie]);
    const challengeId = await openChallenge(context, root.email);
    const recovered = await call(context, "POST", `/api/auth/challenges/${challengeId}/recovery`, {
      body: { code: recoveryCodes[0] },
    });
    expect(recovered.status).toBe(200);
    expect(
      (await call(context, "DELETE", `/api/team/members/${target.id}`, { cookie: recovered.cookie })).status,
    ).toBe(204);
  });
});

describe("Step-up: what it does not gate", () => {
  it("Step-up: a remark, enabling a member, the same roles and invitations without team-management rights need no recent code", async () => {
    const scene = await makeScene(context);
    const member = `/api/team/members/${scene.target.id}`;
    const cookie = scene.root.cookie;
    expect((await call(context, "PATCH", member, { cookie, body: { status: "disabled" } })).status).toBe(200);
    await makeStale(context, [cookie]);

    expect((await call(context, "PATCH", member, { cookie, body: { remark: "on leave" } })).status).toBe(200);
    expect((await call(context, "PATCH", member, { cookie, body: { status: "active" } })).status).toBe(200);
    expect((await call(context, "PATCH", member, { cookie, body: { roles: ["project_user"] } })).status).toBe(
      200,
    );
    expect((await call(context, "PATCH", member, { cookie, body: { sso: false } })).status).toBe(200);
    expect(await memberOf(context, cookie, scene.target.id)).toMatchObject({
      status: "active",
      remark: "on leave",
    });
    const invited = await call(context, "POST", "/api/team/members", {
      cookie,
      body: { email: "new@example.com", password: "correct horse battery staple", roles: ["auditor"] },
    });
    expect(invited.status).toBe(201);
  });

  it("Step-up: an actor without 2FA has no code to enter: not gated, and POST /api/me/step-up is 404", async () => {
    const root = await createRoot(context);
    const target = await createMember(context, root);
    const withTwoFactor = await createMember(context, root);
    await enableTotp(context, withTwoFactor.cookie);
    await makeStale(context, [root.cookie], 20 * 60);
    const cookie = root.cookie;
    const member = `/api/team/members/${target.id}`;
    expect(
      (await call(context, "PATCH", member, { cookie, body: { roles: ["auditor"], sso: true } })).status,
    ).toBe(200);
    expect((await call(context, "PATCH", member, { cookie, body: { status: "disabled" } })).status).toBe(200);
    expect(
      (
        await call(context, "PATCH", "/api/team/settings", {
          cookie,
          body: { allowMemberRecoveryCodes: true },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(context, "DELETE", `/api/team/members/${withTwoFactor.id}/two-factor`, { cookie })).status,
    ).toBe(204);
    expect((await call(context, "DELETE", member, { cookie })).status).toBe(204);

    const stepped = await stepUp(context, cookie, "123456");
    expect(stepped.status).toBe(404);
    expect(stepped.body.error.code).toBe("NOT_FOUND");
  });
});

describe("Step-up: administrators, and authorization first", () => {
  it("Step-up: an Administrator with 2FA is gated the same way on the Team page", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const target = await createMember(context, root);
    const secret = await enableTotp(context, admin.cookie);
    await makeStale(context, [admin.cookie]);
    const before = await snapshot(context);
    const member = `/api/team/members/${target.id}`;

    expectStepUpRequired(
      await call(context, "PATCH", member, { cookie: admin.cookie, body: { roles: ["auditor"] } }),
    );
    expectStepUpRequired(
      await call(context, "PATCH", member, { cookie: admin.cookie, body: { status: "disabled" } }),
    );
    expectStepUpRequired(await call(context, "DELETE", member, { cookie: admin.cookie }));
    expect(await snapshot(context)).toEqual(before);

    expect((await stepUp(context, admin.cookie, totpNow(context, secret))).status).toBe(200);
    expect(
      (await call(context, "PATCH", member, { cookie: admin.cookie, body: { roles: ["auditor"] } })).status,
    ).toBe(200);
    expect((await call(context, "DELETE", member, { cookie: admin.cookie })).status).toBe(204);
  });

  it("Step-up is checked after authorization: R5, FORBIDDEN and NOT_FOUND answer as before", async () => {
    const scene = await makeScene(context);
    const admin = await createMember(context, scene.root, { roles: ["administrator"] });
    const auditor = await createMember(context, scene.root, { roles: ["auditor"] });
    await enableTotp(context, admin.cookie);
    await enableTotp(context, auditor.cookie);
    await makeStale(context, [scene.root.cookie, admin.cookie, auditor.cookie]);
    const before = await snapshot(context);

    const r5 = await call(context, "DELETE", `/api/team/members/${scene.withTwoFactor.id}/two-factor`, {
      cookie: admin.cookie,
    });
    expect([r5.status, r5.body.error.code]).toEqual([403, "ONLY_ROOT_CAN_REMOVE_TWO_FACTOR"]);
    const settings = await call(context, "PATCH", "/api/team/settings", {
      cookie: admin.cookie,
      body: { allowMemberRecoveryCodes: true },
    });
    expect([settings.status, settings.body.error.code]).toEqual([403, "FORBIDDEN"]);
    const auditorDelete = await call(context, "DELETE", `/api/team/members/${scene.target.id}`, {
      cookie: auditor.cookie,
    });
    expect([auditorDelete.status, auditorDelete.body.error.code]).toEqual([403, "FORBIDDEN"]);
    const unknown = "mem_aaaaaaaaaaaaaaaaaaaaaa";
    for (const [method, path, body] of [
      ["DELETE", `/api/team/members/${unknown}`, undefined],
      ["DELETE", `/api/team/members/${unknown}/two-factor`, undefined],
      ["PATCH", `/api/team/members/${unknown}`, { status: "disabled" }],
    ] as const) {
      const answer = await call(context, method, path, {
        cookie: scene.root.cookie,
        ...(body ? { body } : {}),
      });
      expect([answer.status, answer.body.error.code], `${method} ${path}`).toEqual([404, "NOT_FOUND"]);
    }
    expect(await snapshot(context)).toEqual(before);
  });
});
