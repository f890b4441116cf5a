import { memberRoles } from "@cloud2fa/domain";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { loadSession, requireSession, sessionOf } from "../http/authenticate.js";
import type { AppEnv } from "../http/env.js";
import { createRouter } from "../http/router.js";
import { writeSessionCookie } from "../http/session-cookie.js";
import { finishSsoSignIn } from "../services/sso/finish-sign-in.js";
import { deleteSsoSettings, readSsoSettings, saveSsoSettings } from "../services/sso/settings.js";
import { startSsoSignIn } from "../services/sso/start-sign-in.js";
import { stepUpStateOf } from "../services/step-up/require-step-up.js";
import { AccountId, errorResponses, FreeText, jsonBody, jsonResponse } from "./schemas.js";
import { stepUpResponses } from "./step-up-responses.js";

const tags = ["Single sign-on"];
const security = [{ session: [] }];

const Domain = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(
    /^@?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\.?$/,
    "expected a domain such as example.com",
  );

const SsoSettings = z
  .object({
    configured: z.boolean(),
    issuer: z.string().nullable(),
    clientId: z.string().nullable(),
    clientSecretSet: z.boolean().describe("The client secret is stored (sealed); it is never returned"),
    allowedDomains: z.array(z.string()),
    jitEnabled: z.boolean(),
    jitRoles: z.array(z.enum(memberRoles)),
    enabled: z.boolean(),
    redirectUri: z.string().describe("Register this redirect URI at the identity provider"),
    signInUrl: z.string().describe("The team's SSO sign-in address for members"),
    updatedAt: z.string().nullable(),
  })
  .openapi("SsoSettings");

const SsoSettingsBody = z.strictObject({
  issuer: FreeText.min(1).max(512).url(),
  clientId: FreeText.min(1).max(512),
  clientSecret: FreeText.min(1)
    .max(2048)
    .optional()
    .describe("Required the first time; omitted keeps the stored one"),
  allowedDomains: z.array(Domain).min(1).max(50),
  jitEnabled: z.boolean(),
  jitRoles: z.array(z.enum(memberRoles)).max(memberRoles.length),
  enabled: z.boolean(),
});

const read = createRoute({
  method: "get",
  path: "/team/sso",
  tags,
  security,
  middleware: requireSession,
  summary: "The team's single sign-on settings (root user only)",
  responses: { 200: jsonResponse(SsoSettings, "The settings"), ...errorResponses },
});

const save = createRoute({
  method: "put",
  path: "/team/sso",
  tags,
  security,
  middleware: requireSession,
  summary:
    "Configure single sign-on (root user only, step-up): the issuer is checked by OpenID discovery (422 SSO_DISCOVERY_FAILED with the reason); turning it on or off or another issuer ends SSO members' sessions",
  request: { body: jsonBody(SsoSettingsBody) },
  responses: {
    200: jsonResponse(SsoSettings, "Saved"),
    ...errorResponses,
    ...stepUpResponses,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/team/sso",
  tags,
  security,
  middleware: requireSession,
  summary: "Remove single sign-on (root user only, step-up); SSO members' sessions end",
  responses: { 204: { description: "Removed" }, ...errorResponses, ...stepUpResponses },
});

const ReturnPath = z
  .string()
  .max(200)
  .regex(/^\/member\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]*$/, "expected a path under /member/");

const start = createRoute({
  method: "get",
  path: "/auth/sso/{accountId}/start",
  tags,
  summary:
    "Start an SSO sign-in: 302 to the identity provider (authorization code, PKCE S256, state and nonce); with stepUp=1 a fresh sign-in confirming the signed-in SSO member (prompt=login, max_age=0)",
  request: {
    params: z.object({ accountId: AccountId }),
    query: z.object({ stepUp: z.enum(["1"]).optional(), returnTo: ReturnPath.optional() }),
  },
  responses: {
    302: { description: "To the identity provider, or to /member/sso/{accountId}?error=CODE" },
    ...errorResponses,
  },
});

const callback = createRoute({
  method: "get",
  path: "/auth/sso/callback",
  tags,
  summary:
    "The identity provider's redirect: 302 to /member/ with a session, or to /member/sso/{accountId}?error=CODE with none",
  responses: { 302: { description: "Signed in, or refused with a code" } },
});

function isHttps(c: Context<AppEnv>): boolean {
  return /^https:\/\//i.test(c.get("deps").settings.publicUrl);
}

/** §7.2: the browser binding, sent back by the provider's top-level redirect (SameSite=Lax), only to /api/auth/sso. */
function ssoCookieName(c: Context<AppEnv>): string {
  return isHttps(c) ? "__Secure-cloud2fa_sso" : "cloud2fa_sso";
}

const COOKIE_PATH = "/api/auth/sso";

function refusedAt(c: Context<AppEnv>, accountId: string | null, code: string): string {
  const page = accountId ? `/member/sso/${encodeURIComponent(accountId)}` : "/member/sso";
  return `${c.get("deps").settings.publicUrl}${page}?error=${encodeURIComponent(code)}`;
}

export const ssoRoutes = createRouter()
  .openapi(read, async (c) => c.json(await readSsoSettings(c.get("deps"), sessionOf(c).row), 200))
  .openapi(save, async (c) => {
    const settings = await saveSsoSettings({
      deps: c.get("deps"),
      input: { actor: sessionOf(c).row, settings: c.req.valid("json"), stepUp: stepUpStateOf(sessionOf(c)) },
      meta: c.get("meta"),
    });
    return c.json(settings, 200);
  })
  .openapi(remove, async (c) => {
    await deleteSsoSettings({
      deps: c.get("deps"),
      input: { actor: sessionOf(c).row, stepUp: stepUpStateOf(sessionOf(c)) },
      meta: c.get("meta"),
    });
    return c.body(null, 204);
  })
  .openapi(start, async (c) => {
    const { accountId } = c.req.valid("param");
    const query = c.req.valid("query");
    const stepUpOf = query.stepUp === "1" ? await loadSession(c) : undefined;
    const started = await startSsoSignIn({
      deps: c.get("deps"),
      input: { accountId, stepUpOf, returnPath: query.returnTo ?? "/member/" },
      meta: c.get("meta"),
    });
    if (!started.ok) return c.redirect(refusedAt(c, accountId, started.reason), 302);
    setCookie(c, ssoCookieName(c), `${accountId}.${started.browserBinding}`, {
      httpOnly: true,
      sameSite: "Lax",
      path: COOKIE_PATH,
      secure: isHttps(c),
      maxAge: 10 * 60,
    });
    return c.redirect(started.authorizationUrl, 302);
  })
  .openapi(callback, async (c) => {
    const deps = c.get("deps");
    const url = new URL(c.req.url);
    const cookie = getCookie(c, ssoCookieName(c));
    deleteCookie(c, ssoCookieName(c), { path: COOKIE_PATH, secure: isHttps(c) });
    const finished =
      url.search.length > 8192
        ? ({ ok: false, reason: "SSO_STATE_INVALID", accountId: null } as const)
        : await finishSsoSignIn({ deps, input: { query: url.searchParams, cookie }, meta: c.get("meta") });
    if (!finished.ok) return c.redirect(refusedAt(c, finished.accountId, finished.reason), 302);
    if (finished.token !== null) writeSessionCookie(c, deps.settings, finished.token);
    return c.redirect(`${deps.settings.publicUrl}${finished.returnPath}`, 302);
  });
