import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env.js";
import { errorBody } from "./errors.js";

/** S7: a request that fails its schema is 400 VALIDATION_FAILED, naming the first problem. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
      return c.json(errorBody("VALIDATION_FAILED", `${where}${issue?.message ?? "invalid request"}`), 400);
    },
  });
}
