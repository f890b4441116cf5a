import { describe, expect, it } from "vitest";
import { call, createRoot, enableTotp, PASSWORD, totpNow, useTestApp } from "./test/harness.js";

const context = useTestApp();

describe("the README walk-through", () => {
  it("R2, R8: a root user enables TOTP, signs out, and signs in again with a code", async () => {
    const root = await createRoot(context, "ada@example.com");
    const secret = await enableTotp(context, root.cookie);
    expect((await call(context, "POST", "/api/auth/logout", { cookie: root.cookie })).status).toBe(204);
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).status).toBe(401);

    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: "ada@example.com", password: PASSWORD },
    });
    expect(login.body).toMatchObject({ status: "two_factor_required", method: "totp" });
    expect(login.cookie).toBeUndefined();

    context.clock.advance(30);
    const verified = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    const me = await call(context, "GET", "/api/me", { cookie: verified.cookie });
    expect(me.body).toMatchObject({
      kind: "root",
      email: "ada@example.com",
      twoFactor: { enabled: true, method: "totp" },
    });
    expect(JSON.stringify(me.body)).not.toContain(secret);

    // S8, step 8: the sign-in on the password alone and the sign-out are in the trail too.
    const trail = await call(context, "GET", "/api/team/audit-events", { cookie: verified.cookie });
    expect(trail.body.events.map((event: { type: string }) => event.type)).toEqual([
      "two_factor.code_accepted",
      "session.signed_out",
      "two_factor.code_accepted",
      "two_factor.enabled",
      "two_factor.setup_started",
      "session.signed_in",
      "root.signed_up",
    ]);
  });
});
