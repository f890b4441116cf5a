import type { Deps } from "../deps.js";
import type { SessionUser } from "../services/auth/sessions.js";
import type { RequestMeta } from "../services/context.js";

/** What middleware puts on the context for routes. */
export interface AppEnv {
  Variables: {
    deps: Deps;
    meta: RequestMeta;
    auth: SessionUser | null;
  };
}
