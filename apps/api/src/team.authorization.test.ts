import { describe, expect, it } from "vitest";
import {
  type ApiResponse,
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

type Root = Awaited<ReturnType<typeof createRoot>>;
type Actor = "root" | "administrator" | "project_admin" | "project_user" | "accountant" | "auditor";
type Endpoint =
  | "list members"
  | "invite member"
  | "change status"
  | "change roles"
  | "change sso"
  | "edit remark"
  | "delete member"
  | "remove 2FA"
  | "sign out everywhere"
  | "read audit";

interface Scene {
  root: Root;
  target: { id: string; email: string; cookie: string };
}

interface EndpointCase {
  ok: number;
  request: (cookie: string | undefined, scene: Scene) => Promise<ApiResponse>;
  /** What the root user sees afterwards: whether the request took effect. */
  effect: (scene: Scene) => Promise<boolean>;
  needsTwoFactor?: boolean;
}

async function teamOf(root: Root) {
  const list = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
  return list.body.members as { id: string; email: string; status: string; roles: string[]; sso: boolean }[];
}

async function targetOf(scene: Scene) {
  return (await teamOf(scene.root)).find((member) => member.id === scene.target.id);
}

const endpoints: Record<Endpoint, EndpointCase> = {
  "list members": {
    ok: 200,
    request: (cookie) => call(context, "GET", "/api/team/members", { cookie }),
    effect: async () => true,
  },
  "invite member": {
    ok: 201,
    request: (cookie) =>
      call(context, "POST", "/api/team/members", {
        cookie,
        body: { email: "newcomer@example.com", password: PASSWORD, roles: ["project_user"] },
      }),
    effect: async (scene) =>
      (await teamOf(scene.root)).some((member) => member.email === "newcomer@example.com"),
  },
  "change status": {
    ok: 200,
    request: (cookie, scene) =>
      call(context, "PATCH", `/api/team/members/${scene.target.id}`, {
        cookie,
        body: { status: "disabled" },
      }),
    effect: async (scene) => (await targetOf(scene))?.status === "disabled",
  },
  "change roles": {
    ok: 200,
    request: (cookie, scene) =>
      call(context, "PATCH", `/api/team/members/${scene.target.id}`, {
        cookie,
        body: { roles: ["accountant"] },
      }),
    effect: async (scene) => (await targetOf(scene))?.roles.join() === "accountant",
  },
  "change sso": {
    ok: 200,
    request: (cookie, scene) =>
      call(context, "PATCH", `/api/team/members/${scene.target.id}`, { cookie, body: { sso: true } }),
    effect: async (scene) => (await targetOf(scene))?.sso === true,
  },
  "edit remark": {
    ok: 200,
    request: (cookie, scene) =>
      call(context, "PATCH", `/api/team/members/${scene.target.id}`, {
        cookie,
        body: { remark: "on leave" },
      }),
    effect: async (scene) => {
      const found = (await teamOf(scene.root)).find((member) => member.id === scene.target.id);
      return (found as { remark?: string } | undefined)?.remark === "on leave";
    },
  },
  "delete member": {
    ok: 204,
    request: (cookie, scene) => call(context, "DELETE", `/api/team/members/${scene.target.id}`, { cookie }),
    effect: async (scene) => (await targetOf(scene)) === undefined,
  },
  "remove 2FA": {
    ok: 204,
    needsTwoFactor: true,
    request: (cookie, scene) =>
      call(context, "DELETE", `/api/team/members/${scene.target.id}/two-factor`, { cookie }),
    effect: async (scene) =>
      ((await targetOf(scene)) as { twoFactor?: { enabled: boolean } } | undefined)?.twoFactor?.enabled ===
      false,
  },
  "sign out everywhere": {
    ok: 204,
    request: (cookie, scene) =>
      call(context, "DELETE", `/api/team/members/${scene.target.id}/sessions`, { cookie }),
    effect: async (scene) =>
      (await call(context, "GET", "/api/me", { cookie: scene.target.cookie })).status === 401,
  },
  "read audit": {
    ok: 200,
    request: (cookie) => call(context, "GET", "/api/team/audit-events", { cookie }),
    effect: async () => true,
  },
};

const allEndpoints = Object.keys(endpoints) as Endpoint[];
const everythingButRemove = allEndpoints.filter((endpoint) => endpoint !== "remove 2FA");

const allowedFor: Record<Actor, readonly Endpoint[]> = {
  root: allEndpoints,
  administrator: everythingButRemove,
  auditor: ["list members", "read audit"],
  project_admin: [],
  project_user: [],
  accountant: [],
};

const table = (Object.keys(allowedFor) as Actor[]).flatMap((actor) =>
  allEndpoints.map((endpoint) => ({ actor, endpoint, allowed: allowedFor[actor].includes(endpoint) })),
);

async function makeScene(options: { twoFactor?: boolean } = {}): Promise<Scene> {
  const root = await createRoot(context);
  const target = await createMember(context, root, { roles: ["project_user"] });
  if (options.twoFactor) await enableTotp(context, target.cookie);
  return { root, target };
}

async function cookieOf(scene: Scene, actor: Actor): Promise<string> {
  if (actor === "root") return scene.root.cookie;
  return (await createMember(context, scene.root, { roles: [actor] })).cookie;
}

function expectedRefusal(endpoint: Endpoint) {
  return endpoint === "remove 2FA"
    ? { status: 403, code: "ONLY_ROOT_CAN_REMOVE_TWO_FACTOR" }
    : { status: 403, code: "FORBIDDEN" };
}

describe("Team page authorization, every role against every endpoint", () => {
  it.each(table)(
    "R5, team roles: $actor → $endpoint allowed=$allowed",
    async ({ actor, endpoint, allowed }) => {
      const spec = endpoints[endpoint];
      const scene = await makeScene({ twoFactor: spec.needsTwoFactor ?? false });
      const cookie = await cookieOf(scene, actor);
      const response = await spec.request(cookie, scene);
      if (allowed) {
        expect(response.status).toBe(spec.ok);
        expect(await spec.effect(scene)).toBe(true);
      } else {
        const refusal = expectedRefusal(endpoint);
        expect(response.status).toBe(refusal.status);
        expect(response.body.error.code).toBe(refusal.code);
        if (endpoint !== "list members" && endpoint !== "read audit")
          expect(await spec.effect(scene)).toBe(false);
      }
    },
  );

  it("team roles: a member's permissions are the union of its roles (auditor + project_user reads, cannot invite)", async () => {
    const scene = await makeScene();
    const member = await createMember(context, scene.root, { roles: ["project_user", "auditor"] });
    expect((await endpoints["list members"].request(member.cookie, scene)).status).toBe(200);
    expect((await endpoints["read audit"].request(member.cookie, scene)).status).toBe(200);
    const invite = await endpoints["invite member"].request(member.cookie, scene);
    expect(invite.status).toBe(403);
    expect(invite.body.error.code).toBe("FORBIDDEN");
  });

  it("team roles: a member whose administrator role is taken away loses the rights at once", async () => {
    const scene = await makeScene();
    const admin = await createMember(context, scene.root, { roles: ["administrator"] });
    expect((await endpoints["list members"].request(admin.cookie, scene)).status).toBe(200);
    await call(context, "PATCH", `/api/team/members/${admin.id}`, {
      cookie: scene.root.cookie,
      body: { roles: ["project_user"] },
    });
    const list = await endpoints["list members"].request(admin.cookie, scene);
    expect(list.status).toBe(403);
    expect(list.body.error.code).toBe("FORBIDDEN");
  });

  it.each(allEndpoints)("unauthenticated: %s → 401 UNAUTHENTICATED and nothing changes", async (endpoint) => {
    const spec = endpoints[endpoint];
    const scene = await makeScene({ twoFactor: spec.needsTwoFactor ?? false });
    const response = await spec.request(undefined, scene);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe("UNAUTHENTICATED");
    if (endpoint !== "list members" && endpoint !== "read audit")
      expect(await spec.effect(scene)).toBe(false);
    const forged = await spec.request("cloud2fa_session=forged-token-value", scene);
    expect(forged.status).toBe(401);
  });
});

describe("own membership", () => {
  it("an administrator cannot disable or delete itself, nor change its own roles or SSO flag (403 CANNOT_CHANGE_OWN_MEMBERSHIP); nothing changes", async () => {
    const scene = await makeScene();
    const admin = await createMember(context, scene.root, { roles: ["administrator"] });
    const own = `/api/team/members/${admin.id}`;
    const refused: [string, unknown][] = [
      ["PATCH", { status: "disabled" }],
      ["PATCH", { roles: ["project_user"] }],
      ["PATCH", { sso: true }],
      ["PATCH", { remark: "fine", sso: true }],
      ["DELETE", undefined],
    ];
    for (const [method, body] of refused) {
      const response = await call(context, method, own, { cookie: admin.cookie, body });
      expect(response.status, `${method} ${JSON.stringify(body)}`).toBe(403);
      expect(response.body.error.code).toBe("CANNOT_CHANGE_OWN_MEMBERSHIP");
    }
    expect((await teamOf(scene.root)).find((member) => member.id === admin.id)).toMatchObject({
      status: "active",
      roles: ["administrator"],
      sso: false,
      remark: "",
    });
    // §6.5: nor sign itself out everywhere from the Team page (its Security page ends its sessions).
    const signOut = await call(context, "DELETE", `${own}/sessions`, { cookie: admin.cookie });
    expect(signOut.status).toBe(403);
    expect(signOut.body.error.code).toBe("CANNOT_CHANGE_OWN_MEMBERSHIP");
    expect((await call(context, "GET", "/api/me", { cookie: admin.cookie })).status).toBe(200);

    // Its remark stays open; another administrator, and the root user, change the rest.
    const remark = await call(context, "PATCH", own, { cookie: admin.cookie, body: { remark: "on call" } });
    expect(remark.status).toBe(200);
    const other = await createMember(context, scene.root, {
      roles: ["administrator"],
      email: "other-admin@example.com",
    });
    const byOther = await call(context, "PATCH", own, { cookie: other.cookie, body: { sso: true } });
    expect(byOther.status).toBe(200);
    expect(byOther.body).toMatchObject({ sso: true, remark: "on call" });
    const byRoot = await call(context, "DELETE", own, { cookie: scene.root.cookie });
    expect(byRoot.status).toBe(204);
  });
});

describe("cross-tenant isolation", () => {
  async function twoTeams() {
    const rootA = await createRoot(context, "root-a@example.com");
    const rootB = await createRoot(context, "root-b@example.com");
    const adminA = await createMember(context, rootA, {
      roles: ["administrator"],
      email: "admin-a@example.com",
    });
    const memberB = await createMember(context, rootB, { email: "member-b@example.com" });
    await enableTotp(context, memberB.cookie);
    return { rootA, rootB, adminA, memberB };
  }

  it.each<["root" | "administrator"]>([["root"], ["administrator"]])(
    "team isolation: a %s of account A gets 404 NOT_FOUND for a member of account B, which is unchanged",
    async (who) => {
      const { rootA, rootB, adminA, memberB } = await twoTeams();
      const cookie = who === "root" ? rootA.cookie : adminA.cookie;
      const requests: [string, string, unknown][] = [
        ["PATCH", `/api/team/members/${memberB.id}`, { status: "disabled" }],
        ["PATCH", `/api/team/members/${memberB.id}`, { remark: "taken over" }],
        ["DELETE", `/api/team/members/${memberB.id}`, undefined],
        ["DELETE", `/api/team/members/${memberB.id}/sessions`, undefined],
      ];
      if (who === "root") requests.push(["DELETE", `/api/team/members/${memberB.id}/two-factor`, undefined]);
      for (const [method, path, body] of requests) {
        const response = await call(context, method, path, { cookie, body });
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(response.body.error.code).toBe("NOT_FOUND");
      }
      const seenByB = (await teamOf(rootB)).find((member) => member.id === memberB.id) as
        | { status: string; remark: string; twoFactor: { enabled: boolean } }
        | undefined;
      expect(seenByB).toMatchObject({ status: "active", remark: "", twoFactor: { enabled: true } });
      expect((await call(context, "GET", "/api/me", { cookie: memberB.cookie })).status).toBe(200);
    },
  );

  it("team isolation: an administrator of A removing 2FA of a member of B is refused by role before lookup (403)", async () => {
    const { adminA, memberB, rootB } = await twoTeams();
    const response = await call(context, "DELETE", `/api/team/members/${memberB.id}/two-factor`, {
      cookie: adminA.cookie,
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR");
    const seenByB = (await teamOf(rootB)).find((member) => member.id === memberB.id) as
      | { twoFactor: { enabled: boolean } }
      | undefined;
    expect(seenByB?.twoFactor.enabled).toBe(true);
  });

  it("team isolation: the list and audit of account A never show account B's members or events", async () => {
    const { rootA, rootB, adminA, memberB } = await twoTeams();
    for (const cookie of [rootA.cookie, adminA.cookie]) {
      const list = await call(context, "GET", "/api/team/members", { cookie });
      expect(list.status).toBe(200);
      const listText = JSON.stringify(list.body);
      expect(listText).toContain("admin-a@example.com");
      expect(listText).not.toContain(memberB.id);
      expect(listText).not.toContain("member-b@example.com");
      const audit = await call(context, "GET", "/api/team/audit-events?limit=100", { cookie });
      expect(audit.status).toBe(200);
      expect(audit.body.events.length).toBeGreaterThan(0);
      const auditText = JSON.stringify(audit.body);
      expect(auditText).not.toContain(memberB.id);
      expect(auditText).not.toContain("member-b@example.com");
      expect(auditText).not.toContain(rootB.id);
      expect(auditText).not.toContain("root-b@example.com");
    }
    const auditB = await call(context, "GET", "/api/team/audit-events?limit=100", { cookie: rootB.cookie });
    expect(JSON.stringify(auditB.body)).toContain("member-b@example.com");
  });
});

describe("member invitation", () => {
  async function invite(root: Root, email: string) {
    return call(context, "POST", "/api/team/members", {
      cookie: root.cookie,
      body: { email, password: PASSWORD, roles: ["project_user"] },
    });
  }

  it("team invitation: a duplicate address in the same team → 409 EMAIL_TAKEN (case-insensitive), one member", async () => {
    const root = await createRoot(context);
    expect((await invite(root, "dup@example.com")).status).toBe(201);
    for (const again of ["dup@example.com", "DUP@Example.com"]) {
      const response = await invite(root, again);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe("EMAIL_TAKEN");
    }
    expect(
      (await teamOf(root)).filter((member) => member.email.toLowerCase() === "dup@example.com"),
    ).toHaveLength(1);
  });

  it("team invitation: the same address may be a member of another team and a root user of its own", async () => {
    const rootA = await createRoot(context, "shared@example.com");
    const rootB = await createRoot(context);
    expect((await invite(rootA, "both@example.com")).status).toBe(201);
    expect((await invite(rootB, "both@example.com")).status).toBe(201);
    expect((await invite(rootB, "shared@example.com")).status).toBe(201);
  });

  it("team invitation: a deleted member's address may be invited again", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { email: "again@example.com" });
    expect(
      (await call(context, "DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie })).status,
    ).toBe(204);
    const reinvited = await invite(root, "again@example.com");
    expect(reinvited.status).toBe(201);
    expect(reinvited.body).toMatchObject({ email: "again@example.com", status: "pending" });
    expect(reinvited.body.id).not.toBe(member.id);
  });

  it("team invitation: an invited member is pending and its invitation mail carries the activation link and account id", async () => {
    const root = await createRoot(context);
    const invited = await invite(root, "fresh@example.com");
    expect(invited.body).toMatchObject({ status: "pending", roles: ["project_user"], sso: false });
    const mail = await context.smtp.waitFor("fresh@example.com", /invited/);
    expect(mail.text).toMatch(/member\/activate\?token=/);
    expect(mail.text).toContain(root.accountId);
  });
});

describe("member status transitions", () => {
  async function setStatus(root: Root, id: string, status: string) {
    return call(context, "PATCH", `/api/team/members/${id}`, { cookie: root.cookie, body: { status } });
  }

  it.each(["active", "disabled"])(
    "team status: PATCH status %s on a pending member → 409 ACCOUNT_NOT_ACTIVE, still pending",
    async (status) => {
      const root = await createRoot(context);
      const member = await createMember(context, root, { activate: false });
      const response = await setStatus(root, member.id, status);
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe("ACCOUNT_NOT_ACTIVE");
      expect((await teamOf(root)).find((row) => row.id === member.id)?.status).toBe("pending");
    },
  );

  it("team status: pending → active only by activation; then active ⇄ disabled", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    expect((await teamOf(root)).find((row) => row.id === member.id)?.status).toBe("active");

    const disabled = await setStatus(root, member.id, "disabled");
    expect(disabled.status).toBe(200);
    expect(disabled.body.status).toBe("disabled");
    expect((await call(context, "GET", "/api/me", { cookie: member.cookie })).status).toBe(401);

    const reenabled = await setStatus(root, member.id, "active");
    expect(reenabled.status).toBe(200);
    expect(reenabled.body.status).toBe("active");
    const login = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(login.body.status).toBe("authenticated");
  });

  it("team status: PATCH status pending is not a valid transition → 400 VALIDATION_FAILED", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const response = await setStatus(root, member.id, "pending");
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("VALIDATION_FAILED");
    expect((await teamOf(root)).find((row) => row.id === member.id)?.status).toBe("active");
  });

  it("team status: deleting a member is final: its session ends and the id is gone (404 afterwards)", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    expect(
      (await call(context, "DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie })).status,
    ).toBe(204);
    expect((await call(context, "GET", "/api/me", { cookie: member.cookie })).status).toBe(401);
    const again = await call(context, "DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("NOT_FOUND");
    const patch = await setStatus(root, member.id, "active");
    expect(patch.status).toBe(404);
  });
});
