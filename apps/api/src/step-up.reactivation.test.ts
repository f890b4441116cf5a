import { describe, expect, it } from "vitest";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  type TestContext,
  totpNow,
  useTestApp,
} from "./test/harness.js";
import { expectStepUpRequired, makeStale, snapshot, stepUp } from "./test/step-up.js";

// Step-up gap (issue 13 item 5): inviting an Administrator needed a fresh code, re-activating a
// disabled one did not, and the re-activated Administrator could then act. Now re-activating a member
// whose roles may take gated team actions needs a code too, as does every change of roles.

const context = useTestApp();

/** A root user with TOTP (stamped at setup) and a disabled member with `roles`, signed out by the disabling. */
async function makeScene(ctx: TestContext, roles: string[]) {
  const root = await createRoot(ctx);
  const member = await createMember(ctx, root, { roles });
  const secret = await enableTotp(ctx, root.cookie);
  const path = `/api/team/members/${member.id}`;
  const disabled = await call(ctx, "PATCH", path, { cookie: root.cookie, body: { status: "disabled" } });
  expect(disabled.status).toBe(200);
  return { root: { ...root, secret }, member, path };
}

function signInMember(ctx: TestContext, accountId: string, email: string) {
  return call(ctx, "POST", "/api/auth/member/login", {
    body: { accountId, email, password: "correct horse battery staple" },
  });
}

async function statusOf(ctx: TestContext, cookie: string, id: string) {
  const list = await call(ctx, "GET", "/api/team/members", { cookie });
  return (list.body.members as { id: string; status: string }[]).find((member) => member.id === id)?.status;
}

describe("Step-up gap: re-activating a disabled Administrator needs a fresh code, as inviting one does", () => {
  it("Step-up gap: re-activating a disabled Administrator 10 min after the last code is 403 STEP_UP_REQUIRED, changes nothing, and the Administrator stays out; after a code it goes through", async () => {
    const { root, member, path } = await makeScene(context, ["administrator"]);
    await makeStale(context, [root.cookie]);
    const before = await snapshot(context);

    expectStepUpRequired(
      await call(context, "PATCH", path, { cookie: root.cookie, body: { status: "active" } }),
    );
    expectStepUpRequired(
      await call(context, "PATCH", path, { cookie: root.cookie, body: { status: "active", remark: "back" } }),
    );
    expect(await snapshot(context)).toEqual(before);
    const refused = await signInMember(context, root.accountId, member.email);
    expect([refused.status, refused.body.error?.code]).toEqual([409, "ACCOUNT_NOT_ACTIVE"]);

    expect((await stepUp(context, root.cookie, totpNow(context, root.secret))).status).toBe(200);
    const enabled = await call(context, "PATCH", path, { cookie: root.cookie, body: { status: "active" } });
    expect(enabled.status, JSON.stringify(enabled.body)).toBe(200);
    expect(enabled.body).toMatchObject({ status: "active", roles: ["administrator"] });
    expect((await signInMember(context, root.accountId, member.email)).status).toBe(200);
  });

  it("Step-up gap: an Administrator with a stale code cannot re-activate another disabled Administrator either", async () => {
    const { root, member, path } = await makeScene(context, ["auditor", "administrator"]);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const secret = await enableTotp(context, admin.cookie);
    await makeStale(context, [root.cookie, admin.cookie]);
    const before = await snapshot(context);

    expectStepUpRequired(
      await call(context, "PATCH", path, { cookie: admin.cookie, body: { status: "active" } }),
    );
    expect(await snapshot(context)).toEqual(before);

    expect((await stepUp(context, admin.cookie, totpNow(context, secret))).status).toBe(200);
    expect(
      (await call(context, "PATCH", path, { cookie: admin.cookie, body: { status: "active" } })).status,
    ).toBe(200);
    expect(await statusOf(context, root.cookie, member.id)).toBe("active");
  });

  it("Step-up gap: re-activating a disabled member while giving it the Administrator role needs a code; re-activating an Auditor or a Project User does not", async () => {
    const { root, member, path } = await makeScene(context, ["project_user"]);
    const auditor = await createMember(context, root, { roles: ["auditor"] });
    const auditorPath = `/api/team/members/${auditor.id}`;
    const cookie = root.cookie;
    expect((await call(context, "PATCH", auditorPath, { cookie, body: { status: "disabled" } })).status).toBe(
      200,
    );
    await makeStale(context, [cookie]);
    const before = await snapshot(context);

    expectStepUpRequired(
      await call(context, "PATCH", path, { cookie, body: { status: "active", roles: ["administrator"] } }),
    );
    expectStepUpRequired(
      await call(context, "PATCH", path, { cookie, body: { roles: ["project_user", "administrator"] } }),
    );
    expect(await snapshot(context)).toEqual(before);

    // Roles that take no gated team action: enabling stays one click.
    expect((await call(context, "PATCH", path, { cookie, body: { status: "active" } })).status).toBe(200);
    expect((await call(context, "PATCH", auditorPath, { cookie, body: { status: "active" } })).status).toBe(
      200,
    );
    expect(await statusOf(context, cookie, member.id)).toBe("active");
    expect(await statusOf(context, cookie, auditor.id)).toBe("active");
  });
});
