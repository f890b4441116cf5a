import { describe, expect, it } from "vitest";
import { call, createRoot, enableTotp, PASSWORD, totpNow, useTestApp } from "./test/harness.js";

const ORIGIN = "https://cloud2fa.test";
const context = useTestApp({ settings: { publicUrl: ORIGIN } });

function attributesOf(setCookie: string | null): string[] {
  return (setCookie ?? "").split(";").map((part) => part.trim().toLowerCase());
}

describe("S5 sessions served over HTTPS", () => {
  it("S5: the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict, Path=/ and has no Domain", async () => {
    const root = await createRoot(context);
    const login = await call(context, "POST", "/api/auth/root/login", {
      headers: { origin: ORIGIN },
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    const attributes = attributesOf(login.headers.get("set-cookie"));
    expect(attributes[0]).toMatch(/^__host-cloud2fa_session=.+/);
    expect(attributes).toEqual(expect.arrayContaining(["secure", "httponly", "samesite=strict", "path=/"]));
    expect(attributes.some((part) => part.startsWith("domain="))).toBe(false);
    expect(login.cookie).toMatch(/^__Host-cloud2fa_session=/);

    const me = await call(context, "GET", "/api/me", { cookie: login.cookie });
    expect(me.status).toBe(200);
    const token = (login.cookie as string).split("=")[1];
    const plainName = await call(context, "GET", "/api/me", { cookie: `cloud2fa_session=${token}` });
    expect(plainName.status).toBe(401);
  });

  it("S5: the cookie after a second-factor code and the sign-out cookie are Secure __Host- too", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    const verified = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    const attributes = attributesOf(verified.headers.get("set-cookie"));
    expect(attributes[0]).toMatch(/^__host-cloud2fa_session=.+/);
    expect(attributes).toEqual(expect.arrayContaining(["secure", "httponly", "samesite=strict", "path=/"]));

    const out = await call(context, "POST", "/api/auth/logout", { cookie: verified.cookie });
    expect(out.status).toBe(204);
    const cleared = attributesOf(out.headers.get("set-cookie"));
    expect(cleared[0]).toBe("__host-cloud2fa_session=");
    expect(cleared).toEqual(expect.arrayContaining(["secure", "path=/"]));
    expect((await call(context, "GET", "/api/me", { cookie: verified.cookie })).status).toBe(401);
  });
});
