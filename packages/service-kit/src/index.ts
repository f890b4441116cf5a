export { BoundedCache } from "./cache.js";
export {
  createIntrospector,
  DEFAULT_CACHE_SECONDS,
  DEFAULT_CACHE_SIZE,
  DEFAULT_TIMEOUT_MS,
  IntrospectionUnavailable,
  type Introspector,
  type IntrospectorOptions,
} from "./introspect.js";
export {
  type Cloud2faEnv,
  cloud2fa,
  errorResponse,
  type Principal,
  principalOf,
  requireRole,
  requireSignedIn,
  requireStepUp,
  SESSION_COOKIE_NAMES,
} from "./middleware.js";
