import { describeError, generateTotpCode } from "@cloud2fa/domain";
import { DEFAULT_CACHE_SECONDS } from "@cloud2fa/service-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASSWORD, type RunningApi, startApi, tokenIn } from "../test/api.js";
import { createDeploymentsApp } from "./app.js";

// §8 from another service: the deployments example on the kit, against the real built API process.

const INITIAL_PASSWORD = "the inviter chose this one";

let api: RunningApi;
let service: ReturnType<typeof createDeploymentsApp>;
const users = { admin: "", viewer: "", adminSecret: "" };

async function signUpRoot(email: string): Promise<{ cookie: string; accountId: string }> {
  expect((await api.post("/api/auth/root/signup", { email, password: PASSWORD })).status).toBe(202);
  const token = tokenIn(await api.mailTo(email));
  expect((await api.post("/api/auth/root/verify-email", { token, password: PASSWORD })).status).toBe(200);
  const login = await api.post("/api/auth/root/login", { email, password: PASSWORD });
  const me = await fetch(`${api.url}/api/me`, { headers: { cookie: login.cookie ?? "" } });
  return { cookie: login.cookie ?? "", accountId: ((await me.json()) as { accountId: string }).accountId };
}

async function addMember(root: { cookie: string; accountId: string }, email: string, roles: string[]) {
  const invited = await api.post(
    "/api/team/members",
    { email, password: INITIAL_PASSWORD, roles },
    root.cookie,
  );
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  // The member chooses its own password at activation; the inviter's stops working.
  const activated = await api.post("/api/auth/member/activate", {
    token: tokenIn(await api.mailTo(email)),
    initialPassword: INITIAL_PASSWORD,
    newPassword: PASSWORD,
  });
  expect(activated.status, JSON.stringify(activated.body)).toBe(200);
  const login = await api.post("/api/auth/member/login", {
    accountId: root.accountId,
    email,
    password: PASSWORD,
  });
  expect(login.body?.status).toBe("authenticated");
  return login.cookie ?? "";
}

function request(method: string, path: string, cookie?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (cookie) headers.cookie = cookie;
  if (body !== undefined) headers["content-type"] = "application/json";
  return service.request(path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  api = await startApi();
  const root = await signUpRoot("root@deployments.example");
  const credential = await api.post("/api/team/service-credentials", { name: "deployments" }, root.cookie);
  expect(credential.status).toBe(201);
  // The service decides step-up on the API's clock, which the test moves.
  service = createDeploymentsApp({
    apiUrl: api.url,
    credential: credential.body?.secret ?? "",
    now: api.now,
  });
  users.admin = await addMember(root, "admin@deployments.example", ["project_admin"]);
  users.viewer = await addMember(root, "viewer@deployments.example", ["project_user"]);
  const setup = await api.post(
    "/api/me/two-factor/setup",
    { method: "totp", password: PASSWORD },
    users.admin,
  );
  users.adminSecret = setup.body?.secret ?? "";
  const code = generateTotpCode({ secret: users.adminSecret, at: api.now() });
  expect((await api.post("/api/me/two-factor/setup/confirm", { code }, users.admin)).status).toBe(200);
});

afterAll(async () => {
  await api?.stop();
});

describe("§8 the deployments service on @cloud2fa/service-kit, against a running API", () => {
  it("§8 signed out: 401 UNAUTHENTICATED; a forged cookie too", async () => {
    expect((await request("GET", "/deployments")).status).toBe(401);
    const forged = await request("GET", "/deployments", "cloud2fa_session=forged");
    expect(forged.status).toBe(401);
    expect(await forged.json()).toEqual({
      error: { code: "UNAUTHENTICATED", message: describeError("UNAUTHENTICATED") },
    });
  });

  it("§8 a member without the role reads but cannot create: 403 FORBIDDEN", async () => {
    expect((await request("GET", "/deployments", users.viewer)).status).toBe(200);
    const refused = await request("POST", "/deployments", users.viewer, { name: "web" });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  });

  it("§8 delete: no recent code → 403 STEP_UP_REQUIRED (the API's body); after a step-up → 204", async () => {
    const created = await request("POST", "/deployments", users.admin, { name: "web" });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await api.advanceClock(11 * 60_000);
    const refused = await request("DELETE", `/deployments/${id}`, users.admin);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: { code: "STEP_UP_REQUIRED", message: describeError("STEP_UP_REQUIRED") },
    });
    const code = generateTotpCode({ secret: users.adminSecret, at: api.now() });
    expect((await api.post("/api/me/step-up", { code }, users.admin)).status).toBe(200);
    expect((await request("DELETE", `/deployments/${id}`, users.admin)).status).toBe(204);
    const listed = await request("GET", "/deployments", users.admin);
    expect(((await listed.json()) as { deployments: unknown[] }).deployments).toEqual([]);
  });

  it(`§8 after sign-out the session is refused (401) within the cache's ${DEFAULT_CACHE_SECONDS} seconds`, async () => {
    expect((await request("GET", "/deployments", users.viewer)).status).toBe(200);
    expect((await api.post("/api/auth/logout", {}, users.viewer)).status).toBe(204);
    const signedOutAt = Date.now();
    // A loaded machine's slack on top of the documented delay.
    const deadline = signedOutAt + (DEFAULT_CACHE_SECONDS + 15) * 1000;
    let status = 200;
    while (Date.now() < deadline) {
      status = (await request("GET", "/deployments", users.viewer)).status;
      if (status === 401) break;
      await new Promise((done) => setTimeout(done, 250));
    }
    expect(status).toBe(401);
    // Not a second later than the cache allows (with a second's slack for the loaded machine's polling).
    expect(Date.now() - signedOutAt).toBeLessThanOrEqual((DEFAULT_CACHE_SECONDS + 1) * 1000 + 1000);
  });
});
