import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sessions, ssoSignIns, users } from "./db/schema/index.js";
import { call, createMember, createRoot, type TestContext, useTestApp } from "./test/harness.js";
import {
  CLIENT,
  type CraftedToken,
  configureSso,
  flagSso,
  openCallback,
  type ProviderDouble,
  signInAtIdp,
  signInWithSso,
  startProviderDouble,
  startSso,
  startTestIdp,
  type TestIdp,
} from "./test/oidc-provider.js";

const context: TestContext = useTestApp({ settings: { ssoAllowsHttpLoopbackIssuer: true } });
let idp: TestIdp;
let double: ProviderDouble;

beforeAll(async () => {
  idp = await startTestIdp({ clients: [CLIENT] });
  double = await startProviderDouble();
});
afterAll(async () => {
  await idp?.close();
  await double?.close();
});
beforeEach(() => {
  context.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000));
  double.answer = null;
  double.userinfo = null;
  double.delayInMs = 0;
});

async function refusals(cookie: string) {
  const page = await call(context, "GET", "/api/team/audit-events?limit=100", { cookie });
  return (page.body.events as { type: string; detail: { reason?: string } }[]).filter(
    (event) => event.type === "sso.sign_in_refused",
  );
}

async function sessionCount() {
  return (await context.deps.db.select().from(sessions)).length;
}

async function teamWithMember(issuer: string) {
  const root = await createRoot(context);
  const member = await createMember(context, root);
  await flagSso(context, root, member.id);
  const saved = await configureSso(context, root, issuer, { jitEnabled: true });
  expect(saved.status).toBe(200);
  return { root, member };
}

function expectRefused(
  finished: { location: URL; session: string | undefined },
  accountId: string,
  code: string,
) {
  expect(finished.location.href).toBe(`http://cloud2fa.test/member/sso/${accountId}?error=${code}`);
  expect(finished.session).toBeUndefined();
}

describe("§7.2 state", () => {
  it("§7.2 a missing or wrong state signs in nobody (SSO_STATE_INVALID), audited for the team of the cookie", async () => {
    const { root, member } = await teamWithMember(idp.issuer);
    idp.addAccount({ email: member.email });
    const started = await startSso(context, root.accountId);
    const callbackUrl = await signInAtIdp(started.location.href, member.email);
    const before = await sessionCount();
    const noState = new URL(callbackUrl);
    noState.searchParams.delete("state");
    expectRefused(
      await openCallback(context, noState, started.ssoCookie),
      root.accountId,
      "SSO_STATE_INVALID",
    );
    const wrongState = new URL(callbackUrl);
    wrongState.searchParams.set("state", "x".repeat(43));
    expectRefused(
      await openCallback(context, wrongState, started.ssoCookie),
      root.accountId,
      "SSO_STATE_INVALID",
    );
    // Without the browser's cookie (another browser was handed the link): refused, and the state stays usable.
    const noCookie = await openCallback(context, callbackUrl, "");
    expect(noCookie.location.href).toBe("http://cloud2fa.test/member/sso?error=SSO_STATE_INVALID");
    expect(await sessionCount()).toBe(before);
    expect((await refusals(root.cookie)).map((event) => event.detail.reason)).toEqual([
      "SSO_STATE_INVALID",
      "SSO_STATE_INVALID",
    ]);
    expect((await openCallback(context, callbackUrl, started.ssoCookie)).session).toBeDefined();
  });

  it("§7.2 S8 a forged cookie naming a team does not write to its audit trail (only a browser that started a sign-in)", async () => {
    const { root } = await teamWithMember(idp.issuer);
    const forged = `cloud2fa_sso=${root.accountId}.${"f".repeat(43)}`;
    const callbackUrl = new URL("http://cloud2fa.test/api/auth/sso/callback?state=forged&code=x");
    for (let attempt = 0; attempt < 3; attempt++) {
      expectRefused(await openCallback(context, callbackUrl, forged), root.accountId, "SSO_STATE_INVALID");
    }
    expect(await refusals(root.cookie)).toEqual([]);
  });

  it("§7.2 the callback opened twice signs in once", async () => {
    const { root, member } = await teamWithMember(idp.issuer);
    idp.addAccount({ email: member.email });
    const started = await startSso(context, root.accountId);
    const callbackUrl = await signInAtIdp(started.location.href, member.email);
    const [first, second] = await Promise.all([
      openCallback(context, callbackUrl, started.ssoCookie),
      openCallback(context, callbackUrl, started.ssoCookie),
    ]);
    const sessionsIssued = [first, second].filter((finished) => finished.session !== undefined);
    expect(sessionsIssued).toHaveLength(1);
    const refused = [first, second].find((finished) => finished.session === undefined);
    expect(refused?.location.searchParams.get("error")).toBe("SSO_STATE_INVALID");
    const third = await openCallback(context, callbackUrl, started.ssoCookie);
    expectRefused(third, root.accountId, "SSO_STATE_INVALID");
  });

  it("§7.2 a replayed authorization code is refused by the provider (SSO_TOKEN_INVALID)", async () => {
    const { root, member } = await teamWithMember(idp.issuer);
    idp.addAccount({ email: member.email });
    const started = await startSso(context, root.accountId);
    const callbackUrl = await signInAtIdp(started.location.href, member.email);
    expect((await openCallback(context, callbackUrl, started.ssoCookie)).session).toBeDefined();
    // A fresh state and cookie of this browser, with the used code.
    const again = await startSso(context, root.accountId);
    const replay = new URL(callbackUrl);
    replay.searchParams.set("state", again.location.searchParams.get("state") ?? "");
    expectRefused(await openCallback(context, replay, again.ssoCookie), root.accountId, "SSO_TOKEN_INVALID");
  });

  it("§7.2 a state from another team is refused: it is bound to its team's browser cookie", async () => {
    const teamA = await teamWithMember(idp.issuer);
    const teamB = await teamWithMember(idp.issuer);
    idp.addAccount({ email: teamA.member.email });
    const startedA = await startSso(context, teamA.root.accountId);
    const startedB = await startSso(context, teamB.root.accountId);
    const callbackA = await signInAtIdp(startedA.location.href, teamA.member.email);
    expectRefused(
      await openCallback(context, callbackA, startedB.ssoCookie),
      teamB.root.accountId,
      "SSO_STATE_INVALID",
    );
    // The team named in the cookie decides nothing: the state's own team signs in its own member.
    const renamedCookie = startedA.ssoCookie.replace(teamA.root.accountId, teamB.root.accountId);
    const signedIn = await openCallback(context, callbackA, renamedCookie);
    const me = await call(context, "GET", "/api/me", { cookie: signedIn.session });
    expect(me.body).toMatchObject({ id: teamA.member.id, accountId: teamA.root.accountId });
  });

  it("§7.2 a state older than 10 minutes is refused", async () => {
    const { root, member } = await teamWithMember(idp.issuer);
    idp.addAccount({ email: member.email });
    const started = await startSso(context, root.accountId);
    const callbackUrl = await signInAtIdp(started.location.href, member.email);
    context.clock.advance(10 * 60 + 1);
    expectRefused(
      await openCallback(context, callbackUrl, started.ssoCookie),
      root.accountId,
      "SSO_STATE_INVALID",
    );
    expect((await context.deps.db.select().from(ssoSignIns)).every((row) => row.consumedAt === null)).toBe(
      true,
    );
  });
});

describe("§7.2 ID tokens no provider should issue (a hand-rolled provider double)", () => {
  const now = () => Math.floor(context.clock.now().getTime() / 1000);
  const good = (nonce: string, email: string): CraftedToken => ({
    claims: {
      iss: double.issuer,
      aud: CLIENT.client_id,
      sub: "double-sub",
      nonce,
      iat: now(),
      exp: now() + 300,
      email,
      email_verified: true,
    },
  });
  const cases: [string, (token: CraftedToken) => CraftedToken, string][] = [
    ["alg none", (token) => ({ ...token, signWith: "none" }), "SSO_TOKEN_INVALID"],
    [
      "HMAC with the client secret",
      (token) => ({ ...token, signWith: { hmac: CLIENT.client_secret } }),
      "SSO_TOKEN_INVALID",
    ],
    [
      "a key not in the provider's JWKS",
      (token) => ({ ...token, signWith: "other-rs256" }),
      "SSO_TOKEN_INVALID",
    ],
    [
      "a wrong issuer",
      (token) => ({ claims: { ...token.claims, iss: "https://evil.example" } }),
      "SSO_TOKEN_INVALID",
    ],
    [
      "a wrong audience",
      (token) => ({ claims: { ...token.claims, aud: "another-client" } }),
      "SSO_TOKEN_INVALID",
    ],
    [
      "a wrong nonce",
      (token) => ({ claims: { ...token.claims, nonce: "not-the-nonce" } }),
      "SSO_TOKEN_INVALID",
    ],
    ["no nonce", (token) => ({ claims: { ...token.claims, nonce: undefined } }), "SSO_TOKEN_INVALID"],
    [
      "expired beyond the 60 s leeway",
      (token) => ({ claims: { ...token.claims, iat: now() - 600, exp: now() - 61 } }),
      "SSO_TOKEN_INVALID",
    ],
    [
      "not yet valid beyond the leeway",
      (token) => ({ claims: { ...token.claims, nbf: now() + 120 } }),
      "SSO_TOKEN_INVALID",
    ],
    [
      "email_verified false",
      (token) => ({ claims: { ...token.claims, email_verified: false } }),
      "SSO_EMAIL_NOT_VERIFIED",
    ],
    [
      "email_verified missing",
      (token) => ({ claims: { ...token.claims, email_verified: undefined } }),
      "SSO_EMAIL_NOT_VERIFIED",
    ],
    [
      "email_verified as a string",
      (token) => ({ claims: { ...token.claims, email_verified: "true" } }),
      "SSO_EMAIL_NOT_VERIFIED",
    ],
    [
      "a domain not allowed",
      (token) => ({ claims: { ...token.claims, email: "ada@evil.example" } }),
      "SSO_DOMAIN_NOT_ALLOWED",
    ],
  ];

  it.each(cases)(
    "§7.2 %s: refused with no session and nothing created, audited",
    async (_label, craft, code) => {
      const { root, member } = await teamWithMember(double.issuer);
      const usersBefore = (await context.deps.db.select().from(users)).length;
      const sessionsBefore = await sessionCount();
      const started = await startSso(context, root.accountId);
      const nonce = double.nonceOf(started.location);
      double.answer = () => craft(good(nonce, member.email));
      const callbackUrl = new URL("http://cloud2fa.test/api/auth/sso/callback");
      callbackUrl.searchParams.set("code", "crafted");
      callbackUrl.searchParams.set("state", started.location.searchParams.get("state") ?? "");
      expectRefused(await openCallback(context, callbackUrl, started.ssoCookie), root.accountId, code);
      expect((await context.deps.db.select().from(users)).length).toBe(usersBefore);
      expect(await sessionCount()).toBe(sessionsBefore);
      expect((await refusals(root.cookie)).map((event) => event.detail.reason)).toEqual([code]);
    },
  );

  it("§7.2 the double's well-formed token signs the SSO member in (the cases above differ by one thing)", async () => {
    const { root, member } = await teamWithMember(double.issuer);
    const started = await startSso(context, root.accountId);
    const nonce = double.nonceOf(started.location);
    double.answer = () => good(nonce, member.email);
    const callbackUrl = new URL("http://cloud2fa.test/api/auth/sso/callback");
    callbackUrl.searchParams.set("code", "crafted");
    callbackUrl.searchParams.set("state", started.location.searchParams.get("state") ?? "");
    const finished = await openCallback(context, callbackUrl, started.ssoCookie);
    expect(finished.session).toBeDefined();
  });
});

describe("§7.2 the address from userinfo", () => {
  const now = () => Math.floor(context.clock.now().getTime() / 1000);
  async function signInWithoutEmailClaim(userinfo: Record<string, unknown>) {
    const { root, member } = await teamWithMember(double.issuer);
    const started = await startSso(context, root.accountId);
    const nonce = double.nonceOf(started.location);
    double.answer = () => ({
      claims: {
        iss: double.issuer,
        aud: CLIENT.client_id,
        sub: "double-sub",
        nonce,
        iat: now(),
        exp: now() + 300,
      },
    });
    double.userinfo = typeof userinfo.email === "string" ? userinfo : { ...userinfo, email: member.email };
    const callbackUrl = new URL("http://cloud2fa.test/api/auth/sso/callback");
    callbackUrl.searchParams.set("code", "crafted");
    callbackUrl.searchParams.set("state", started.location.searchParams.get("state") ?? "");
    return { root, finished: await openCallback(context, callbackUrl, started.ssoCookie) };
  }

  it("§7.2 an ID token without the address: the provider's userinfo for the same subject gives it", async () => {
    const { finished } = await signInWithoutEmailClaim({ sub: "double-sub", email_verified: true });
    expect(finished.session).toBeDefined();
  });

  it("§7.2 userinfo of another subject is refused (SSO_TOKEN_INVALID)", async () => {
    const { root, finished } = await signInWithoutEmailClaim({ sub: "someone-else", email_verified: true });
    expectRefused(finished, root.accountId, "SSO_TOKEN_INVALID");
  });

  it("§7.2 userinfo without email_verified is refused (SSO_EMAIL_NOT_VERIFIED)", async () => {
    const { root, finished } = await signInWithoutEmailClaim({ sub: "double-sub" });
    expectRefused(finished, root.accountId, "SSO_EMAIL_NOT_VERIFIED");
  });
});

describe("§7.2 the provider unreachable or slow", () => {
  it("§7.2 unreachable at the start: a message on the sign-in page, no hanging request", async () => {
    const { root } = await teamWithMember(double.issuer);
    const gone = await startProviderDouble();
    await configureSso(context, root, gone.issuer, { jitEnabled: true });
    await gone.close();
    const started = await startSso(context, root.accountId);
    expect(started.response.status).toBe(302);
    expect(started.location.searchParams.get("error")).toBe("SSO_PROVIDER_UNAVAILABLE");
  });

  it("§7.2 slow at the token endpoint: given up after 10 s, SSO_PROVIDER_UNAVAILABLE", async () => {
    const { root, member } = await teamWithMember(double.issuer);
    const started = await startSso(context, root.accountId);
    const nonce = double.nonceOf(started.location);
    double.answer = () => ({
      claims: {
        iss: double.issuer,
        aud: CLIENT.client_id,
        sub: "s",
        nonce,
        email: member.email,
        email_verified: true,
      },
    });
    double.delayInMs = 15_000;
    const callbackUrl = new URL("http://cloud2fa.test/api/auth/sso/callback");
    callbackUrl.searchParams.set("code", "crafted");
    callbackUrl.searchParams.set("state", started.location.searchParams.get("state") ?? "");
    const began = performance.now();
    const finished = await openCallback(context, callbackUrl, started.ssoCookie);
    const elapsedInMs = performance.now() - began;
    double.delayInMs = 0;
    expectRefused(finished, root.accountId, "SSO_PROVIDER_UNAVAILABLE");
    expect(elapsedInMs).toBeGreaterThanOrEqual(9_000);
    expect(elapsedInMs).toBeLessThan(14_000);
    expect((await refusals(root.cookie)).map((event) => event.detail.reason)).toEqual([
      "SSO_PROVIDER_UNAVAILABLE",
    ]);
  }, 40_000);

  it("§7.1 a slow issuer on save: 422 SSO_DISCOVERY_FAILED within the bounded wait", async () => {
    const root = await createRoot(context);
    double.delayInMs = 15_000;
    const began = performance.now();
    const saved = await configureSso(context, root, double.issuer);
    double.delayInMs = 0;
    expect(saved.status).toBe(422);
    expect(saved.body.error.code).toBe("SSO_DISCOVERY_FAILED");
    expect(performance.now() - began).toBeLessThan(14_000);
  }, 40_000);

  it("§7.2 a real sign-in still works after the refusals (the double and the provider are independent)", async () => {
    const { root, member } = await teamWithMember(idp.issuer);
    idp.addAccount({ email: member.email });
    expect((await signInWithSso(context, root.accountId, member.email)).session).toBeDefined();
  });
});
