import { STEP_UP_TTL_IN_SECONDS } from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { hashToken } from "./crypto/tokens.js";
import { auditEvents, serviceCredentials } from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  START,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";
import { expectStepUpRequired, makeStale, stepUp } from "./test/step-up.js";

// §8: service credentials (§8.1) and session introspection for other services (§8.2).

const RATE_LIMIT = 12;
const INTERNAL_SECRET = "internal-deployment-secret-0123456789abcdef";
const context = useTestApp({
  settings: {
    introspectionsPerWindow: RATE_LIMIT,
    serviceCredentials: [{ name: "internal", accountId: null, secretHash: hashToken(INTERNAL_SECRET) }],
  },
});

const tokenOf = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);

function introspect(ctx: TestContext, secret: string | null, body: unknown, rawBody?: string) {
  return call(ctx, "POST", "/api/introspect", {
    headers: secret === null ? {} : { authorization: `Bearer ${secret}` },
    ...(rawBody === undefined
      ? { body }
      : { rawBody, headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" } }),
  });
}

async function createCredential(ctx: TestContext, cookie: string, name = "deployments") {
  const created = await call(ctx, "POST", "/api/team/service-credentials", { cookie, body: { name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; name: string; secret: string; createdAt: string };
}

/** A root user (no 2FA) with a credential, and a member of its team signed in with its password. */
async function makeTeam(ctx: TestContext) {
  const root = await createRoot(ctx);
  const credential = await createCredential(ctx, root.cookie);
  const member = await createMember(ctx, root, { roles: ["project_admin", "auditor"] });
  return { root, credential, member };
}

describe("§8.1 service credentials", () => {
  it("§8.1 the root user creates one: 201 with a prefixed secret of ≥ 128 bits, shown once, kept hashed, audited", async () => {
    const root = await createRoot(context);
    const created = await createCredential(context, root.cookie, "  billing  ");
    expect(created).toEqual({
      id: expect.stringMatching(/^svc_/),
      name: "billing",
      createdAt: START.toISOString(),
      secret: expect.stringMatching(/^c2fsvc_[A-Za-z0-9_-]{43}$/),
    });
    const [row] = await context.deps.db
      .select()
      .from(serviceCredentials)
      .where(eq(serviceCredentials.id, created.id));
    expect(row?.secretHash).toBe(hashToken(created.secret));
    expect(JSON.stringify(row)).not.toContain(created.secret);

    const listed = await call(context, "GET", "/api/team/service-credentials", { cookie: root.cookie });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      credentials: [{ id: created.id, name: "billing", createdAt: START.toISOString(), lastUsedAt: null }],
    });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain(hashToken(created.secret));

    const [event] = await context.deps.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.type, "service_credential.created"), eq(auditEvents.actorId, root.id)));
    expect(event?.detail).toEqual({ credentialId: created.id, name: "billing" });
    expect(JSON.stringify(event)).not.toContain(created.secret);
  });

  it("§8.1 members cannot create, list or revoke them, not even administrators (403)", async () => {
    const root = await createRoot(context);
    const credential = await createCredential(context, root.cookie);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const paths = [
      ["POST", "/api/team/service-credentials", { name: "x" }],
      ["GET", "/api/team/service-credentials", undefined],
      ["DELETE", `/api/team/service-credentials/${credential.id}`, undefined],
    ] as const;
    for (const [method, path, body] of paths) {
      const response = await call(context, method, path, { cookie: admin.cookie, body });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.error.code).toBe("FORBIDDEN");
    }
    expect(await context.deps.db.select().from(serviceCredentials)).toHaveLength(1);
  });

  it("§8.1 creating and revoking need a recent code (step-up) when the root user has 2FA", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const credential = await createCredential(context, root.cookie);
    await makeStale(context, [root.cookie]);
    expectStepUpRequired(
      await call(context, "POST", "/api/team/service-credentials", {
        cookie: root.cookie,
        body: { name: "x" },
      }),
    );
    expectStepUpRequired(
      await call(context, "DELETE", `/api/team/service-credentials/${credential.id}`, {
        cookie: root.cookie,
      }),
    );
    expect(
      (await call(context, "GET", "/api/team/service-credentials", { cookie: root.cookie })).status,
    ).toBe(200);
    expect((await stepUp(context, root.cookie, totpNow(context, secret))).status).toBe(200);
    await createCredential(context, root.cookie, "second");
    expect(
      (
        await call(context, "DELETE", `/api/team/service-credentials/${credential.id}`, {
          cookie: root.cookie,
        })
      ).status,
    ).toBe(204);
  });

  it("§8.1 a revoked credential stops working at once (401), is gone from the list, and is audited", async () => {
    const { root, credential, member } = await makeTeam(context);
    const token = tokenOf(member.cookie);
    expect((await introspect(context, credential.secret, { token })).body.active).toBe(true);
    const revoked = await call(context, "DELETE", `/api/team/service-credentials/${credential.id}`, {
      cookie: root.cookie,
    });
    expect(revoked.status).toBe(204);
    const refused = await introspect(context, credential.secret, { token });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("UNAUTHENTICATED");
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const listed = await call(context, "GET", "/api/team/service-credentials", { cookie: root.cookie });
    expect(listed.body.credentials).toEqual([]);
    const again = await call(context, "DELETE", `/api/team/service-credentials/${credential.id}`, {
      cookie: root.cookie,
    });
    expect(again.status).toBe(404);
    const events = await context.deps.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.type, "service_credential.revoked"));
    expect(events.map((event) => event.detail)).toEqual([
      { credentialId: credential.id, name: "deployments" },
    ]);
  });

  it("§8.1 a credential is scoped to its account: another root user neither lists nor revokes it", async () => {
    const { credential } = await makeTeam(context);
    const other = await createRoot(context);
    const listed = await call(context, "GET", "/api/team/service-credentials", { cookie: other.cookie });
    expect(listed.body.credentials).toEqual([]);
    const revoked = await call(context, "DELETE", `/api/team/service-credentials/${credential.id}`, {
      cookie: other.cookie,
    });
    expect(revoked.status).toBe(404);
    expect(await context.deps.db.select().from(serviceCredentials)).toHaveLength(1);
  });
});

describe("§8.2 introspection", () => {
  it("§8.2 an active member session: who, which account, roles, no second factor, never a secret", async () => {
    const { root, credential, member } = await makeTeam(context);
    const token = tokenOf(member.cookie);
    const answer = await introspect(context, credential.secret, { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      active: true,
      userId: member.id,
      accountId: root.accountId,
      kind: "member",
      roles: ["project_admin", "auditor"],
      sso: false,
      twoFactorEnabled: false,
      secondFactorPassed: false,
      steppedUpUntil: null,
      enrolmentRequired: false,
      passwordChangeRequired: false,
      expiresAt: new Date(START.getTime() + 30 * 60_000).toISOString(),
    });
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(token);
    expect(text).not.toContain(hashToken(token));
    expect(text).not.toContain(credential.secret);
  });

  it("§8.2 a session opened with a code passed the second factor, and its step-up is reflected", async () => {
    const { root, credential } = await makeTeam(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(60);
    const challengeId = await openChallenge(context, root.email);
    const verified = await verifyCode(context, challengeId, totpNow(context, secret));
    const token = tokenOf(verified.cookie as string);
    const signedInAt = context.clock.now();
    const first = await introspect(context, credential.secret, { token });
    expect(first.body).toMatchObject({
      active: true,
      kind: "root",
      roles: [],
      twoFactorEnabled: true,
      secondFactorPassed: true,
      steppedUpUntil: new Date(signedInAt.getTime() + STEP_UP_TTL_IN_SECONDS * 1000).toISOString(),
    });
    await makeStale(context, [verified.cookie as string]);
    expect((await stepUp(context, verified.cookie as string, totpNow(context, secret))).status).toBe(200);
    const later = await introspect(context, credential.secret, { token });
    expect(later.body).toMatchObject({
      secondFactorPassed: true,
      steppedUpUntil: new Date(context.clock.now().getTime() + STEP_UP_TTL_IN_SECONDS * 1000).toISOString(),
    });
    // The password session in which 2FA was enabled entered a code, but was not opened by one.
    const setupSession = await introspect(context, credential.secret, { token: tokenOf(root.cookie) });
    expect(setupSession.body).toMatchObject({ active: true, secondFactorPassed: false });
  });

  it("§8.2 another account's session is inactive to a credential (but active to its own account's), and not kept alive by it", async () => {
    const { credential } = await makeTeam(context);
    const other = await makeTeam(context);
    const token = tokenOf(other.member.cookie);
    expect((await introspect(context, other.credential.secret, { token })).body.active).toBe(true);
    context.clock.advance(20 * 60);
    expect((await introspect(context, credential.secret, { token })).body).toEqual({ active: false });
    // Not touched by the foreign credential: the session's idle end did not move.
    context.clock.advance(11 * 60);
    expect((await introspect(context, other.credential.secret, { token })).body).toEqual({ active: false });
  });

  it("§8.2 a configured credential without an account (internal deployment) sees every account's sessions", async () => {
    const first = await makeTeam(context);
    const second = await makeTeam(context);
    for (const team of [first, second]) {
      const answer = await introspect(context, INTERNAL_SECRET, { token: tokenOf(team.member.cookie) });
      expect(answer.body).toMatchObject({ active: true, accountId: team.root.accountId });
    }
  });

  it("§8.2 a signed-out, an expired and an unknown session are inactive", async () => {
    const { root, credential, member } = await makeTeam(context);
    expect((await call(context, "POST", "/api/auth/logout", { cookie: member.cookie })).status).toBe(204);
    expect((await introspect(context, credential.secret, { token: tokenOf(member.cookie) })).body).toEqual({
      active: false,
    });
    context.clock.advance(31 * 60);
    expect((await introspect(context, credential.secret, { token: tokenOf(root.cookie) })).body).toEqual({
      active: false,
    });
    for (const token of ["nope", "x".repeat(512), `${tokenOf(root.cookie)}x`]) {
      expect((await introspect(context, credential.secret, { token })).body).toEqual({ active: false });
    }
  });

  it("§8.2 a disabled member's session is inactive at once", async () => {
    const { root, credential, member } = await makeTeam(context);
    const patched = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "disabled" },
    });
    expect(patched.status).toBe(200);
    expect((await introspect(context, credential.secret, { token: tokenOf(member.cookie) })).body).toEqual({
      active: false,
    });
  });

  it("§8.2 without a valid credential: 401 (missing, malformed, unknown, a session token, revoked)", async () => {
    const { root, member } = await makeTeam(context);
    const token = tokenOf(member.cookie);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "" },
      { authorization: "Bearer" },
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer c2fsvc_unknownunknownunknownunknownunknown000" },
      { authorization: `Bearer ${token}` },
      { authorization: "Bearer two words" },
      { authorization: `Bearer ${"a".repeat(300)}` },
      { cookie: root.cookie },
    ];
    for (const headers of attempts) {
      const response = await call(context, "POST", "/api/introspect", { headers, body: { token } });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(response.body.error.code).toBe("UNAUTHENTICATED");
    }
  });

  it("§8.2 a malformed body is 400 VALIDATION_FAILED and charges nothing", async () => {
    const { credential } = await makeTeam(context);
    for (const body of [
      {},
      { token: "" },
      { token: 42 },
      { token: "a".repeat(513) },
      { token: "a", extra: 1 },
    ]) {
      const response = await introspect(context, credential.secret, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe("VALIDATION_FAILED");
    }
    expect((await introspect(context, credential.secret, null, "{not json")).status).toBe(400);
    const [row] = await context.deps.db.select().from(serviceCredentials);
    expect(row?.lastUsedAt).toBeNull();
  });

  it("§8.2 rate-limited per credential: 429 with Retry-After, other credentials unaffected, open again after the window", async () => {
    const { root, credential, member } = await makeTeam(context);
    const other = await createCredential(context, root.cookie, "billing");
    const token = tokenOf(member.cookie);
    for (let index = 0; index < RATE_LIMIT; index++) {
      expect((await introspect(context, credential.secret, { token })).status).toBe(200);
    }
    const limited = await introspect(context, credential.secret, { token });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await introspect(context, other.secret, { token })).status).toBe(200);
    context.clock.advance(60);
    expect((await introspect(context, credential.secret, { token })).status).toBe(200);
  });

  it("§8.2 the credential's last use is kept to the minute", async () => {
    const { root, credential, member } = await makeTeam(context);
    context.clock.advance(5);
    await introspect(context, credential.secret, { token: tokenOf(member.cookie) });
    const listed = await call(context, "GET", "/api/team/service-credentials", { cookie: root.cookie });
    expect(listed.body.credentials[0].lastUsedAt).toBe(context.clock.now().toISOString());
  });
});
