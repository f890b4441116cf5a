import { describeError, type IntrospectionAnswer } from "@cloud2fa/domain";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { BoundedCache } from "./cache.js";
import {
  type Cloud2faEnv,
  cloud2fa,
  principalOf,
  requireRole,
  requireSignedIn,
  requireStepUp,
} from "./index.js";

const START = new Date("2026-03-02T09:00:00.000Z");

function activeAnswer(overrides: Partial<IntrospectionAnswer> = {}): IntrospectionAnswer {
  return {
    active: true,
    userId: "mem_1",
    accountId: "acc_1",
    kind: "member",
    roles: ["project_user"],
    sso: false,
    twoFactorEnabled: true,
    secondFactorPassed: true,
    steppedUpUntil: null,
    enrolmentRequired: false,
    passwordChangeRequired: false,
    expiresAt: "2026-03-02T10:00:00.000Z",
    ...overrides,
  } as IntrospectionAnswer;
}

/** An app on a fake API whose answer the test sets, on a clock the test moves. */
function makeService(options: { cacheSeconds?: number; timeoutMs?: number; cacheSize?: number } = {}) {
  let now = START;
  const calls: string[] = [];
  const api = { answer: activeAnswer() as IntrospectionAnswer, hang: false, status: 200 };
  const fakeFetch = (async (_url: string, init: RequestInit) => {
    const { token } = JSON.parse(String(init.body)) as { token: string };
    calls.push(token);
    if (api.hang) {
      return new Promise<Response>((_resolve, reject) => {
        init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      });
    }
    return new Response(JSON.stringify(api.answer), { status: api.status });
  }) as typeof fetch;
  const app = new Hono<Cloud2faEnv>()
    .use(
      cloud2fa({
        apiUrl: "http://api.test",
        credential: "c2fsvc_x",
        fetch: fakeFetch,
        now: () => now,
        ...options,
      }),
    )
    .get("/me", requireSignedIn(), (c) => c.json({ userId: principalOf(c).userId }))
    .get("/admin", requireRole("administrator"), (c) => c.text("ok"))
    .delete("/thing", requireStepUp(), (c) => c.body(null, 204));
  const request = (path: string, method = "GET", token = "tok") =>
    app.request(path, { method, headers: { cookie: `cloud2fa_session=${token}` } });
  return {
    api,
    calls,
    request,
    app,
    advance: (seconds: number) => {
      now = new Date(now.getTime() + seconds * 1000);
    },
  };
}

describe("§8 service kit", () => {
  it("§8 signed out: 401 with the API's body; signed in: the principal", async () => {
    const service = makeService();
    const signedOut = await service.app.request("/me");
    expect(signedOut.status).toBe(401);
    expect(await signedOut.json()).toEqual({
      error: { code: "UNAUTHENTICATED", message: describeError("UNAUTHENTICATED") },
    });
    expect(service.calls).toEqual([]);
    const signedIn = await service.request("/me");
    expect(await signedIn.json()).toEqual({ userId: "mem_1" });
  });

  it("§8 the bearer token and the __Host- cookie are read", async () => {
    const service = makeService();
    await service.app.request("/me", { headers: { authorization: "Bearer b1" } });
    await service.app.request("/me", { headers: { cookie: "__Host-cloud2fa_session=h1" } });
    expect(service.calls).toEqual(["b1", "h1"]);
  });

  it("§8 answers are cached cacheSeconds: a revoked session is refused once they have passed", async () => {
    const service = makeService({ cacheSeconds: 5 });
    expect((await service.request("/me")).status).toBe(200);
    service.api.answer = { active: false };
    service.advance(4);
    expect((await service.request("/me")).status).toBe(200);
    service.advance(1);
    expect((await service.request("/me")).status).toBe(401);
    expect(service.calls).toHaveLength(2);
  });

  it("§8 step-up refused with the API's exact 403 body; a step-up since the cached answer counts at once", async () => {
    const service = makeService();
    const refused = await service.request("/thing", "DELETE");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: { code: "STEP_UP_REQUIRED", message: describeError("STEP_UP_REQUIRED") },
    });
    service.api.answer = activeAnswer({ steppedUpUntil: "2026-03-02T09:10:00.000Z" });
    expect((await service.request("/thing", "DELETE")).status).toBe(204);
    service.advance(600);
    expect((await service.request("/thing", "DELETE")).status).toBe(403);
  });

  it("§8 roles: a member without the role is 403 FORBIDDEN, the root user passes", async () => {
    const service = makeService();
    expect((await service.request("/admin")).status).toBe(403);
    service.api.answer = activeAnswer({ kind: "root", roles: [] });
    expect((await service.request("/admin", "GET", "root")).status).toBe(200);
  });

  it("§8 a session the API holds (password change) gets the API's 403 code", async () => {
    const service = makeService();
    service.api.answer = activeAnswer({ passwordChangeRequired: true });
    const held = await service.request("/me");
    expect(held.status).toBe(403);
    expect(((await held.json()) as { error: { code: string } }).error.code).toBe("PASSWORD_CHANGE_REQUIRED");
  });

  it("§8 a hanging API: 503 JSON error after the timeout, never a hang", async () => {
    const service = makeService({ timeoutMs: 50 });
    service.api.hang = true;
    const response = await service.request("/me");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("DATABASE_UNAVAILABLE");
  });

  it("§8 an API error (429, 401 credential) is a 503, not a sign-out", async () => {
    const service = makeService();
    service.api.status = 429;
    expect((await service.request("/me")).status).toBe(503);
  });

  it("§8 the cache is bounded: the oldest entry goes first", () => {
    const cache = new BoundedCache<number>(2);
    cache.set("a", 1, 1000);
    cache.set("b", 2, 1000);
    cache.set("c", 3, 1000);
    expect([cache.get("a", 0), cache.get("b", 0), cache.get("c", 0), cache.size]).toEqual([
      undefined,
      2,
      3,
      2,
    ]);
    expect(cache.get("b", 1000)).toBeUndefined();
  });
});
