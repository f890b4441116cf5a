import { createMiddleware } from "hono/factory";
import { errorBody } from "./errors.js";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * S5: every mutating request, whatever its content type, is refused when its Origin is present and
 * not ours (`null` included) or when Sec-Fetch-Site says cross-site. Requests with neither pass.
 */
export function rejectCrossSiteRequests(ownOrigin: string) {
  return createMiddleware(async (c, next) => {
    if (MUTATING.has(c.req.method)) {
      const origin = c.req.header("origin");
      const fetchSite = c.req.header("sec-fetch-site");
      if ((origin !== undefined && origin !== ownOrigin) || fetchSite === "cross-site") {
        return c.json(errorBody("FORBIDDEN", "Cross-site requests are not allowed."), 403);
      }
    }
    await next();
  });
}
