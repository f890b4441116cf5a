import { type SessionHold, sessionHoldOf } from "@cloud2fa/domain";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Deps } from "../deps.js";
import { resolveSession, type SessionUser } from "../services/auth/sessions.js";
import type { AppEnv } from "./env.js";
import { AppError } from "./errors.js";
import { requestMetaOf } from "./request-meta.js";
import { readSessionToken } from "./session-cookie.js";

export function attachRequestContext(deps: Deps) {
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("deps", deps);
    c.set("meta", requestMetaOf(c, deps.settings.trustProxyHops));
    c.set("auth", null);
    await next();
  });
}

/** Resolved only where a route needs it, so public routes cost no session look-up. */
export async function loadSession(c: Context<AppEnv>): Promise<SessionUser | null> {
  const token = readSessionToken(c, c.get("deps").settings);
  const auth = token && token.length <= 128 ? await resolveSession(c.get("deps"), token) : null;
  c.set("auth", auth);
  return auth;
}

/** A session held to `allowedHold` (or none) passes; another hold is its 403 (the domain's sessionHoldOf). */
function requireSessionHeldAtMost(allowed: readonly SessionHold[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const auth = await loadSession(c);
    if (!auth) throw new AppError("UNAUTHENTICATED");
    const hold = sessionHoldOf({
      mustChangePassword: auth.isPasswordChangeOwed,
      enrolment: auth.enrolment,
    });
    if (hold && !allowed.includes(hold)) throw new AppError(hold);
    await next();
  });
}

/**
 * R2: only a session opens the API; a sign-in challenge id never does.
 * Require 2FA for members: past the team's deadline, a member without 2FA gets nothing else until enrolled.
 * §6.2: a member on its inviter's password gets nothing else until it has set its own.
 */
export const requireSession = requireSessionHeldAtMost([]);

/** The few routes a member who must enrol in 2FA may use: the setup and its confirmation, the team settings. */
export const requireSessionDuringEnrolment = requireSessionHeldAtMost(["TWO_FACTOR_ENROLMENT_REQUIRED"]);

/** §6.2: who am I and the password change are open to every hold (sign-out needs no session at all). */
export const requireSessionDuringAnyHold = requireSessionHeldAtMost([
  "TWO_FACTOR_ENROLMENT_REQUIRED",
  "PASSWORD_CHANGE_REQUIRED",
]);

export function sessionOf(c: { get(key: "auth"): AppEnv["Variables"]["auth"] }) {
  const auth = c.get("auth");
  if (!auth) throw new AppError("UNAUTHENTICATED");
  return auth;
}
