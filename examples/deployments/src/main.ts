import { serve } from "@hono/node-server";
import { createDeploymentsApp } from "./app.js";

const apiUrl = process.env.CLOUD2FA_URL ?? "http://localhost:3000";
const credential = process.env.CLOUD2FA_CREDENTIAL;
if (!credential) throw new Error("CLOUD2FA_CREDENTIAL: a service credential (c2fsvc_…) is required");
const port = Number(process.env.PORT ?? 3100);

serve({ fetch: createDeploymentsApp({ apiUrl, credential }).fetch, port }, (info) => {
  console.log(`deployments listening on http://localhost:${info.port}, sessions from ${apiUrl}`);
});
