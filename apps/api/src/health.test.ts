import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import type { Db } from "./db/connect.js";
import * as schema from "./db/schema/index.js";
import {
  call,
  createTestClock,
  createTestRandom,
  PUBLIC_URL,
  silentLogger,
  TEST_KEY,
  TEST_PASSWORD_HASH_COST,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

describe("health, readiness and the OpenAPI document", () => {
  it("GET /healthz and /readyz answer 200 with a reachable database", async () => {
    expect((await call(context, "GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await call(context, "GET", "/readyz")).status).toBe(200);
  });

  it("GET /api/openapi.json describes every endpoint of SPEC §4, and /api/docs renders it", async () => {
    const doc = await call(context, "GET", "/api/openapi.json");
    expect(doc.status).toBe(200);
    const operations = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} /api${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "POST /api/auth/root/signup",
        "POST /api/auth/root/verify-email",
        "POST /api/auth/root/login",
        "POST /api/auth/member/login",
        "POST /api/auth/challenges/{challengeId}/verify",
        "POST /api/auth/challenges/{challengeId}/resend",
        "POST /api/auth/challenges/{challengeId}/recovery",
        "POST /api/auth/member/activate",
        "POST /api/auth/password-reset",
        "POST /api/auth/password-reset/confirm",
        "POST /api/auth/logout",
        "GET /api/me",
        "GET /api/session",
        "POST /api/me/two-factor/setup",
        "POST /api/me/two-factor/setup/confirm",
        "POST /api/me/two-factor/code",
        "DELETE /api/me/two-factor",
        "POST /api/me/two-factor/recovery-codes",
        "POST /api/me/step-up",
        "POST /api/me/email",
        "POST /api/me/email/confirm",
        "POST /api/me/password",
        "GET /api/team/settings",
        "PATCH /api/team/settings",
        "GET /api/team/settings/two-factor-policy",
        "PATCH /api/team/settings/two-factor-policy",
        "GET /api/team/members",
        "POST /api/team/members",
        "PATCH /api/team/members/{id}",
        "DELETE /api/team/members/{id}",
        "DELETE /api/team/members/{id}/two-factor",
        "GET /api/team/audit-events",
        "GET /api/team/audit-events/export.csv",
        "GET /api/me/sessions",
        "DELETE /api/me/sessions",
        "DELETE /api/me/sessions/{id}",
        "DELETE /api/team/members/{id}/sessions",
        "GET /api/team/service-credentials",
        "POST /api/team/service-credentials",
        "DELETE /api/team/service-credentials/{id}",
        "POST /api/introspect",
        "GET /api/team/sso",
        "PUT /api/team/sso",
        "DELETE /api/team/sso",
        "GET /api/auth/sso/{accountId}/start",
        "GET /api/auth/sso/callback",
      ].sort(),
    );
    const docs = await context.app.request("/api/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/api/openapi.json");
  });
});

describe("a database that cannot be reached", () => {
  const client = postgres("postgres://postgres@127.0.0.1:1/none", {
    max: 1,
    connect_timeout: 2,
    onnotice: () => {},
  });
  afterAll(() => client.end({ timeout: 1 }));
  const app = createApp({
    db: drizzle(client, { schema, casing: "snake_case" }) as unknown as Db,
    clock: createTestClock(),
    random: createTestRandom("down"),
    outbox: { wake: () => {}, noteQueued: () => {} },
    logger: silentLogger,
    keys: { keys: [TEST_KEY] },
    passwordHashCost: TEST_PASSWORD_HASH_COST,
    settings: { publicUrl: PUBLIC_URL, sessionTtlInHours: 12, sessionIdleInMinutes: 30, trustProxyHops: 0 },
  });

  it("readyz is 503 and a request that needs it is 503 DATABASE_UNAVAILABLE with Retry-After", async () => {
    expect((await app.request("/readyz")).status).toBe(503);
    const login = await app.request("/api/auth/root/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ada@example.com", password: "whatever it is" }),
    });
    expect(login.status).toBe(503);
    expect(login.headers.get("retry-after")).toBe("5");
    expect(((await login.json()) as { error: { code: string } }).error.code).toBe("DATABASE_UNAVAILABLE");
  });
});
