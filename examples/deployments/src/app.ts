import { randomUUID } from "node:crypto";
import {
  type Cloud2faEnv,
  cloud2fa,
  type IntrospectorOptions,
  principalOf,
  requireRole,
  requireSignedIn,
  requireStepUp,
} from "@cloud2fa/service-kit";
import { Hono } from "hono";
import { z } from "zod";

export interface Deployment {
  id: string;
  name: string;
  createdBy: string;
  createdAt: string;
}

const NewDeployment = z.strictObject({ name: z.string().trim().min(1).max(64) });

/**
 * The deployments of each team (kept in memory: this is an example; a real service has its own
 * database). Reading needs a session; creating needs the Project Admin role; deleting also needs a
 * code entered in the last 10 minutes (step-up), answered exactly like the cloud2fa API.
 */
export function createDeploymentsApp(options: IntrospectorOptions) {
  const byAccount = new Map<string, Deployment[]>();
  const deploymentsOf = (accountId: string) => {
    const list = byAccount.get(accountId) ?? [];
    byAccount.set(accountId, list);
    return list;
  };
  return new Hono<Cloud2faEnv>()
    .use(cloud2fa(options))
    .get("/deployments", requireSignedIn(), (c) =>
      c.json({ deployments: deploymentsOf(principalOf(c).accountId) }),
    )
    .post("/deployments", requireRole("project_admin", "administrator"), async (c) => {
      const parsed = NewDeployment.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) {
        return c.json({ error: { code: "VALIDATION_FAILED", message: "expected {name}" } }, 400);
      }
      const principal = principalOf(c);
      const deployment = {
        id: `dep_${randomUUID()}`,
        name: parsed.data.name,
        createdBy: principal.userId,
        createdAt: new Date().toISOString(),
      };
      deploymentsOf(principal.accountId).push(deployment);
      return c.json(deployment, 201);
    })
    .delete("/deployments/:id", requireRole("project_admin", "administrator"), requireStepUp(), (c) => {
      const list = deploymentsOf(principalOf(c).accountId);
      const index = list.findIndex((deployment) => deployment.id === c.req.param("id"));
      if (index < 0) return c.json({ error: { code: "NOT_FOUND", message: "Not found." } }, 404);
      list.splice(index, 1);
      return c.body(null, 204);
    });
}
