import { createHmac, createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import { startTestIdp, type TestIdp, type TestIdpAccount } from "../../scripts/test-idp.mjs";
import { type ApiResponse, call, PASSWORD, PUBLIC_URL, type TestContext } from "./harness.js";

export { startTestIdp, type TestIdp, type TestIdpAccount };

export const CLIENT = {
  client_id: "cloud2fa-test",
  client_secret: "cloud2fa-test-secret",
  redirect_uris: [`${PUBLIC_URL}/api/auth/sso/callback`],
};

function cookieJar() {
  const cookies = new Map<string, string>();
  return {
    take(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(";");
        const at = pair?.indexOf("=") ?? -1;
        if (pair && at > 0) cookies.set(pair.slice(0, at), pair.slice(at + 1));
      }
    },
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
  };
}

/**
 * Plays the browser at the provider: the authorization request, its sign-in page submitted with
 * `email`, the redirects up to the product's callback; returns that callback URL (not opened).
 */
export async function signInAtIdp(authorizationUrl: string, email: string): Promise<URL> {
  const jar = cookieJar();
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 10; hop++) {
    if (url.href.startsWith(`${PUBLIC_URL}/`)) return url;
    const isLogin = /^\/interaction\/[^/]+$/.test(url.pathname);
    const response = isLogin
      ? await fetch(`${url.origin}${url.pathname}/login`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: jar.header(), "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ email }).toString(),
        })
      : await fetch(url, { redirect: "manual", headers: { cookie: jar.header() } });
    jar.take(response);
    const location = response.headers.get("location");
    if (!location)
      throw new Error(`the provider stopped at ${url.href}: ${response.status} ${await response.text()}`);
    url = new URL(location, url);
  }
  throw new Error("too many redirects at the provider");
}

/** The SSO settings a test saves (PUT /api/team/sso). */
export function ssoSettings(issuer: string, overrides: Record<string, unknown> = {}) {
  return {
    issuer,
    clientId: CLIENT.client_id,
    clientSecret: CLIENT.client_secret,
    allowedDomains: ["example.com"],
    jitEnabled: false,
    jitRoles: ["project_user"],
    enabled: true,
    ...overrides,
  };
}

export async function configureSso(
  context: TestContext,
  root: { cookie: string },
  issuer: string,
  overrides: Record<string, unknown> = {},
): Promise<ApiResponse> {
  return call(context, "PUT", "/api/team/sso", { cookie: root.cookie, body: ssoSettings(issuer, overrides) });
}

export interface StartedSso {
  response: ApiResponse;
  location: URL;
  /** The browser-binding cookie (`cloud2fa_sso=…`). */
  ssoCookie: string;
}

export async function startSso(
  context: TestContext,
  accountId: string,
  options: { query?: string; cookie?: string } = {},
): Promise<StartedSso> {
  const response = await call(context, "GET", `/api/auth/sso/${accountId}/start${options.query ?? ""}`, {
    ...(options.cookie ? { cookie: options.cookie } : {}),
  });
  const location = new URL(response.headers.get("location") ?? "http://missing.invalid/");
  return { response, location, ssoCookie: response.cookie ?? "" };
}

export interface FinishedSso {
  response: ApiResponse;
  location: URL;
  /** The session cookie, when one was issued. */
  session: string | undefined;
}

export async function openCallback(
  context: TestContext,
  callbackUrl: URL,
  cookie: string,
): Promise<FinishedSso> {
  const response = await call(context, "GET", `/api/auth/sso/callback${callbackUrl.search}`, { cookie });
  const location = new URL(response.headers.get("location") ?? "http://missing.invalid/");
  const session = response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0] ?? "")
    .find((pair) => pair.startsWith("cloud2fa_session=") && pair.length > "cloud2fa_session=".length);
  return { response, location, session };
}

/** The whole journey: start, sign in at the provider as `email`, open the callback. */
export async function signInWithSso(
  context: TestContext,
  accountId: string,
  email: string,
  options: { query?: string; cookie?: string } = {},
): Promise<FinishedSso> {
  const started = await startSso(context, accountId, options);
  if (started.response.status !== 302 || !started.ssoCookie) {
    throw new Error(`start refused: ${started.response.status} ${started.location.href}`);
  }
  const callbackUrl = await signInAtIdp(started.location.href, email);
  return openCallback(context, callbackUrl, started.ssoCookie);
}

/** A member flagged SSO by the root (PATCH sso: true); activated unless `activate: false`. */
export async function flagSso(
  context: TestContext,
  root: { cookie: string },
  memberId: string,
): Promise<void> {
  const patched = await call(context, "PATCH", `/api/team/members/${memberId}`, {
    cookie: root.cookie,
    body: { sso: true },
  });
  if (patched.status !== 200) throw new Error(`flag failed: ${JSON.stringify(patched.body)}`);
}

export { PASSWORD };

// ——— A hand-rolled provider double, for ID tokens no certified provider would issue ———

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

export interface CraftedToken {
  header?: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** "rs256" (the published key), "other-rs256" (a key not in the JWKS), "none", or an HMAC key. */
  signWith?: "rs256" | "other-rs256" | "none" | { hmac: string };
}

export interface ProviderDouble {
  issuer: string;
  /** What the token endpoint answers next: an ID token made from the authorization request's nonce. */
  answer: ((request: { nonce: string }) => CraftedToken) | null;
  /** What the userinfo endpoint answers (null: 401). */
  userinfo: Record<string, unknown> | null;
  /** Delay every answer this long (ms): a slow provider. */
  delayInMs: number;
  /** The nonce the last authorization request carried (read from the start's redirect). */
  nonceOf(authorizationUrl: URL): string;
  close(): Promise<void>;
}

export async function startProviderDouble(metadata: Record<string, unknown> = {}): Promise<ProviderDouble> {
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicJwk = { ...keys.publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" };
  const nonces = new Map<string, string>();
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const double: ProviderDouble = {
    issuer,
    answer: null,
    userinfo: null,
    delayInMs: 0,
    nonceOf(authorizationUrl) {
      const nonce = authorizationUrl.searchParams.get("nonce") ?? "";
      nonces.set("last", nonce);
      return nonce;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const sign = (token: CraftedToken): string => {
    const signWith = token.signWith ?? "rs256";
    const alg = signWith === "none" ? "none" : typeof signWith === "object" ? "HS256" : "RS256";
    const header = base64url(JSON.stringify({ alg, typ: "JWT", kid: "k1", ...token.header }));
    const body = base64url(JSON.stringify(token.claims));
    const input = `${header}.${body}`;
    if (signWith === "none") return `${input}.`;
    if (typeof signWith === "object") {
      return `${input}.${createHmac("sha256", signWith.hmac).update(input).digest("base64url")}`;
    }
    const key: KeyObject = signWith === "other-rs256" ? other.privateKey : keys.privateKey;
    return `${input}.${createSign("RSA-SHA256").update(input).sign(key).toString("base64url")}`;
  };
  server.on("request", async (req, res) => {
    if (double.delayInMs > 0) await new Promise((resolve) => setTimeout(resolve, double.delayInMs));
    const url = new URL(req.url ?? "/", issuer);
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        ...metadata,
      });
    }
    if (url.pathname === "/jwks") return json(200, { keys: [publicJwk] });
    if (url.pathname === "/userinfo") {
      return double.userinfo ? json(200, double.userinfo) : json(401, { error: "invalid_token" });
    }
    if (url.pathname === "/token" && req.method === "POST") {
      for await (const _chunk of req) {
        // drained
      }
      if (!double.answer) return json(400, { error: "invalid_grant" });
      const token = double.answer({ nonce: nonces.get("last") ?? "" });
      return json(200, { access_token: "at", token_type: "Bearer", expires_in: 60, id_token: sign(token) });
    }
    return json(404, { error: "not_found" });
  });
  return double;
}
