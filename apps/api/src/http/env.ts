import type { Deps } from "../deps.js";
import type { SessionUser } from "../services/auth/sessions.js";
import type { RequestMeta } from "../services/context.js";
import type { ServiceCaller } from "../services/service-credentials/authenticate.js";

/** What middleware puts on the context for routes. */
export interface AppEnv {
  Variables: {
    deps: Deps;
    meta: RequestMeta;
    auth: SessionUser | null;
    /** §8.2: the service that presented a credential (POST /api/introspect only). */
    service: ServiceCaller | null;
  };
}
