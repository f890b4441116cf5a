// `pnpm idp`: a local OpenID provider to try single sign-on (see docs/sso.md).
import { startTestIdp } from "./test-idp.mjs";

const publicUrl = (process.env.PUBLIC_URL ?? "http://localhost:3000").replace(/\/$/, "");
const port = Number(process.env.IDP_PORT ?? 4000);
const client = {
  client_id: "cloud2fa-local",
  client_secret: "cloud2fa-local-secret-change-me",
  redirect_uris: [`${publicUrl}/api/auth/sso/callback`],
};
const idp = await startTestIdp({ port, host: "localhost", clients: [client], autoCreateAccounts: true });
console.log(`Test identity provider at ${idp.issuer}

Start cloud2fa with SSO_ALLOW_HTTP_LOOPBACK_ISSUER=1 (an http:// issuer is accepted only on loopback, only then):
  SSO_ALLOW_HTTP_LOOPBACK_ISSUER=1 pnpm start

Then, in the console, Team settings, Single sign-on, paste:
  Issuer URL       ${idp.issuer}
  Client ID        ${client.client_id}
  Client secret    ${client.client_secret}
  Allowed domains  the domain of your members' addresses (e.g. example.com)

Any email address signs in here (accounts are created on first use, their address verified).
Press Ctrl+C to stop.`);
