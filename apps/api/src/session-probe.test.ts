import { describe, expect, it } from "vitest";
import { call, createRoot, useTestApp } from "./test/harness.js";

const context = useTestApp();

describe("GET /api/session: a page loaded while signed out asks without a 401", () => {
  it("a signed-out page load gets 200 with me null, not a 401", async () => {
    const answer = await call(context, "GET", "/api/session");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ me: null });
    const stale = await call(context, "GET", "/api/session", { cookie: "cloud2fa_session=not-a-token" });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual({ me: null });
  });

  it("S5 a signed-in page load gets the same user as GET /api/me", async () => {
    const root = await createRoot(context);
    const answer = await call(context, "GET", "/api/session", { cookie: root.cookie });
    expect(answer.status).toBe(200);
    const me = await call(context, "GET", "/api/me", { cookie: root.cookie });
    expect(answer.body).toEqual({ me: me.body });
    expect(answer.body.me.email).toBe(root.email);
  });
});
