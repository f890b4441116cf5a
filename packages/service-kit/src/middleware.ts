import {
  type ActiveIntrospection,
  describeError,
  type ErrorCode,
  holdOfIntrospection,
  holdsAnyRole,
  type MemberRole,
  stepUpDecision,
  stepUpStateOfIntrospection,
} from "@cloud2fa/domain";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { createIntrospector, IntrospectionUnavailable, type IntrospectorOptions } from "./introspect.js";

/** The cookie names the API sets: `__Host-` over HTTPS, the plain name over HTTP (S5). */
export const SESSION_COOKIE_NAMES = ["__Host-cloud2fa_session", "cloud2fa_session"] as const;

/** Who is signed in, as the cloud2fa API answered (never a token or secret). */
export type Principal = ActiveIntrospection;

interface Cloud2faState {
  token: string | null;
  principal: Principal | null;
  unavailable: IntrospectionUnavailable | null;
  refresh: () => Promise<void>;
  now: () => Date;
}

export interface Cloud2faEnv {
  Variables: {
    /** The signed-in user of this request, or null (no token, or an inactive one). */
    principal: Principal | null;
    cloud2fa: Cloud2faState;
  };
}

const STATUS_BY_CODE = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  STEP_UP_REQUIRED: 403,
  PASSWORD_CHANGE_REQUIRED: 403,
  TWO_FACTOR_ENROLMENT_REQUIRED: 403,
  DATABASE_UNAVAILABLE: 503,
} as const satisfies Partial<Record<ErrorCode, number>>;
type KitErrorCode = keyof typeof STATUS_BY_CODE;

/** The API's error body (`{"error":{"code","message"}}`), its message from the domain's catalog. */
export function errorResponse(c: Context, code: KitErrorCode, retryAfterSeconds?: number): Response {
  if (retryAfterSeconds !== undefined) c.header("Retry-After", String(Math.ceil(retryAfterSeconds)));
  return c.json({ error: { code, message: describeError(code) } }, STATUS_BY_CODE[code]);
}

function tokenOf(c: Context): string | null {
  const bearer = /^Bearer ([^\s]+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (bearer) return bearer;
  for (const name of SESSION_COOKIE_NAMES) {
    const value = getCookie(c, name);
    if (value) return value;
  }
  return null;
}

/**
 * Reads the session cookie (or `Authorization: Bearer <session token>`), introspects it (cached up to
 * `cacheSeconds`, default 5) and puts the principal on the context (`c.get("principal")`).
 */
export function cloud2fa(options: IntrospectorOptions): MiddlewareHandler<Cloud2faEnv> {
  const introspector = createIntrospector(options);
  return createMiddleware<Cloud2faEnv>(async (c, next) => {
    const state: Cloud2faState = {
      token: tokenOf(c),
      principal: null,
      unavailable: null,
      now: introspector.now,
      refresh: async () => {},
    };
    const load = async (fresh: boolean) => {
      if (state.token === null) return;
      try {
        const answer = await introspector.introspect(state.token, { fresh });
        state.principal = answer.active ? answer : null;
        state.unavailable = null;
      } catch (error) {
        if (!(error instanceof IntrospectionUnavailable)) throw error;
        state.principal = null;
        state.unavailable = error;
      }
      c.set("principal", state.principal);
    };
    state.refresh = () => load(true);
    c.set("cloud2fa", state);
    c.set("principal", null);
    await load(false);
    await next();
  });
}

function stateOf(c: Context<Cloud2faEnv>): Cloud2faState {
  const state = c.get("cloud2fa");
  if (!state) throw new Error("cloud2fa(): mount the cloud2fa middleware before its guards");
  return state;
}

/** A guard: the principal passes `check`, else its refusal; a refusal is decided again on a fresh answer. */
function guard(
  check: (principal: Principal, now: Date) => KitErrorCode | null,
): MiddlewareHandler<Cloud2faEnv> {
  return createMiddleware<Cloud2faEnv>(async (c, next) => {
    const state = stateOf(c);
    const decide = (): KitErrorCode | null => {
      if (state.unavailable) return "DATABASE_UNAVAILABLE";
      if (!state.principal) return "UNAUTHENTICATED";
      return holdOfIntrospection(state.principal) ?? check(state.principal, state.now());
    };
    let refusal = decide();
    // A cached answer may be up to cacheSeconds old: a step-up or a role given since then counts at once.
    if (refusal !== null && refusal !== "UNAUTHENTICATED" && refusal !== "DATABASE_UNAVAILABLE") {
      await state.refresh();
      refusal = decide();
    }
    if (refusal === "DATABASE_UNAVAILABLE") {
      return errorResponse(c, refusal, state.unavailable?.retryAfterSeconds ?? 1);
    }
    if (refusal !== null) return errorResponse(c, refusal);
    await next();
  });
}

/** 401 UNAUTHENTICATED without a live session; 403 with the API's code while the API holds the session. */
export function requireSignedIn(): MiddlewareHandler<Cloud2faEnv> {
  return guard(() => null);
}

/** 403 FORBIDDEN unless the member has one of `roles` (the root user may do everything). */
export function requireRole(...roles: MemberRole[]): MiddlewareHandler<Cloud2faEnv> {
  return guard((principal) => (holdsAnyRole(principal, roles) ? null : "FORBIDDEN"));
}

/** 403 STEP_UP_REQUIRED (the API's body) unless a code was entered in this session in the last 10 minutes. */
export function requireStepUp(): MiddlewareHandler<Cloud2faEnv> {
  return guard((principal, now) => {
    const decision = stepUpDecision(stepUpStateOfIntrospection(principal), now);
    return decision.ok ? null : "STEP_UP_REQUIRED";
  });
}

/** The principal of a request a guard has let through. */
export function principalOf(c: Context<Cloud2faEnv>): Principal {
  const principal = c.get("principal");
  if (!principal)
    throw new Error("principalOf(): use it behind requireSignedIn(), requireRole() or requireStepUp()");
  return principal;
}
