import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createRoot, useTestApp } from "./test/harness.js";
import { mountWebApps } from "./web.js";

const context = useTestApp();
const webDist = mkdtempSync(join(tmpdir(), "cloud2fa-web-"));

beforeAll(() => {
  for (const app of ["console", "member-portal"]) {
    mkdirSync(join(webDist, app, "assets"), { recursive: true });
    writeFileSync(
      join(webDist, app, "index.html"),
      `<!doctype html><html><head><script type="module" src="/assets/index.js"></script></head><body>${app}</body></html>`,
    );
    writeFileSync(join(webDist, app, "assets", "index.js"), "export {};\n");
  }
  mountWebApps(context.app, webDist);
});
afterAll(() => rmSync(webDist, { recursive: true, force: true }));

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function expectSecurityHeaders(headers: Headers, label: string) {
  expect(headers.get("content-security-policy"), label).toBe(CSP);
  expect(headers.get("referrer-policy"), label).toBe("no-referrer");
  expect(headers.get("x-content-type-options"), label).toBe("nosniff");
  expect(headers.get("x-frame-options"), label).toBe("DENY");
  // Served over plain HTTP in tests: no HSTS.
  expect(headers.get("strict-transport-security"), label).toBeNull();
}

describe("no security headers: every page and API answer carries CSP, frame-ancestors, Referrer-Policy and nosniff", () => {
  it("pages: both web apps (index, SPA fallback, assets) and the API docs page with its script and style", async () => {
    for (const path of [
      "/",
      "/settings",
      "/member/",
      "/member/sign-in",
      "/assets/index.js",
      "/member/assets/index.js",
    ]) {
      const response = await call(context, "GET", path);
      expect(response.status, path).toBe(200);
      expectSecurityHeaders(response.headers, path);
    }
    const docs = await call(context, "GET", "/api/docs");
    expectSecurityHeaders(docs.headers, "/api/docs");
    // The CSP allows no inline script or style: the page has none.
    expect(docs.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=/);
    for (const [path, type] of [
      ["/api/docs.js", "text/javascript; charset=utf-8"],
      ["/api/docs.css", "text/css; charset=utf-8"],
    ] as const) {
      const file = await call(context, "GET", path);
      expect(file.status, path).toBe(200);
      expect(file.headers.get("content-type"), path).toBe(type);
      expectSecurityHeaders(file.headers, path);
    }
  });

  it("API answers: JSON, health, the CSV export", async () => {
    const root = await createRoot(context);
    for (const path of [
      "/api/me",
      "/api/openapi.json",
      "/api/team/audit-events/export.csv",
      "/healthz",
      "/readyz",
    ]) {
      const response = await call(context, "GET", path, { cookie: root.cookie });
      expect(response.status, path).toBe(200);
      expectSecurityHeaders(response.headers, path);
    }
  });

  it("errors: 400, 401, 403 cross-site, 404 (API, asset, an unknown method on a page), 413", async () => {
    const cases: [string, string, Record<string, string>, string | undefined, number][] = [
      ["POST", "/api/auth/root/login", { "content-type": "application/json" }, "{not json", 400],
      ["GET", "/api/me", {}, undefined, 401],
      ["POST", "/api/auth/logout", { origin: "https://evil.example" }, undefined, 403],
      ["GET", "/api/nothing-here", {}, undefined, 404],
      ["GET", "/assets/missing.js", {}, undefined, 404],
      ["DELETE", "/settings", {}, undefined, 404],
      ["POST", "/api/auth/root/login", { "content-type": "application/json" }, "x".repeat(2_000_000), 413],
    ];
    for (const [method, path, headers, rawBody, status] of cases) {
      const response = await call(context, method, path, {
        headers,
        ...(rawBody === undefined ? {} : { rawBody }),
      });
      expect(response.status, `${method} ${path}`).toBe(status);
      expect(response.body.error.code, `${method} ${path}`).toEqual(expect.any(String));
      expectSecurityHeaders(response.headers, `${method} ${path}`);
    }
  });
});
