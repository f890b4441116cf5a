// A real, certified OpenID provider (panva's oidc-provider) for the tests, the browser journey and
// `pnpm idp`: in-process on a loopback port, accounts in memory, a sign-in page that asks only for
// the email address of a known account (or any address with autoCreateAccounts).
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const ACR = "urn:cloud2fa:test-idp:password";

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(uid, error) {
  const message = error ? `<p role="alert" style="color:#b00">${escapeHtml(error)}</p>` : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body style="font-family:system-ui;max-width:28rem;margin:4rem auto">
<h1>Test identity provider</h1><p>Sign in with the email address of a test account.</p>${message}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Email address <input name="email" type="email" autocomplete="username" required autofocus></label>
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

/**
 * Starts the provider. `clients`: [{ client_id, client_secret, redirect_uris }]. Returns its issuer,
 * `addAccount({ email, emailVerified?, sub?, name? })`, `close()`.
 */
export async function startTestIdp({ port = 0, host = "127.0.0.1", clients, autoCreateAccounts = false }) {
  const accounts = new Map();
  let nextSub = 1;
  const addAccount = (input) => {
    const { email, sub, name } = input;
    // emailVerified: true unless given; given as undefined, the claim is left out.
    const emailVerified = "emailVerified" in input ? input.emailVerified : true;
    const account = {
      sub: sub ?? `user-${nextSub++}`,
      email,
      emailVerified,
      name: name ?? email.split("@")[0],
    };
    accounts.set(email.toLowerCase(), account);
    return account;
  };
  const bySub = (sub) => [...accounts.values()].find((account) => account.sub === sub);
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-idp-rs256", alg: "RS256", use: "sig" };
  const server = createServer();
  await new Promise((resolve) => server.listen(port, host, resolve));
  const issuer = `http://${host}:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    clientDefaults: {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
      id_token_signed_response_alg: "RS256",
    },
    jwks: { keys: [jwk] },
    cookies: { keys: ["cloud2fa test identity provider"] },
    pkce: { required: () => true, methods: ["S256"] },
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      openid: ["sub", "acr", "amr", "auth_time"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    conformIdTokenClaims: false,
    acrValues: [ACR],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      const account = bySub(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          email: account.email,
          name: account.name,
          ...(account.emailVerified === undefined ? {} : { email_verified: account.emailVerified }),
        }),
      };
    },
  });
  const handle = provider.callback();
  server.on("request", async (req, res) => {
    const url = new URL(req.url ?? "/", issuer);
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(url.pathname);
    if (!match) return handle(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method !== "POST" || !match[2]) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page(details.uid));
        return;
      }
      const email = ((await readForm(req)).get("email") ?? "").trim();
      const account =
        accounts.get(email.toLowerCase()) ??
        (autoCreateAccounts && email.includes("@") ? addAccount({ email }) : null);
      if (!account) {
        res
          .writeHead(200, { "content-type": "text/html; charset=utf-8" })
          .end(page(details.uid, "No such account."));
        return;
      }
      const grant = new provider.Grant({
        accountId: account.sub,
        clientId: String(details.params.client_id),
      });
      grant.addOIDCScope(String(details.params.scope ?? "openid"));
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.sub, amr: ["pwd"], acr: ACR }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (error) {
      res.writeHead(400, { "content-type": "text/plain" }).end(String(error));
    }
  });
  return {
    issuer,
    addAccount,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
