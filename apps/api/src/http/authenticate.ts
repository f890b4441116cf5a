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

/**
 * R2: only a session opens the API; a sign-in challenge id never does.
 * Require 2FA for members: past the team's deadline, a member without 2FA gets nothing else until enrolled.
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const auth = await loadSession(c);
  if (!auth) throw new AppError("UNAUTHENTICATED");
  if (auth.enrolment.state === "required_now") throw new AppError("TWO_FACTOR_ENROLMENT_REQUIRED");
  await next();
});

/** The few routes a member who must enrol in 2FA may use: who am I, the setup and its confirmation, the team settings. */
export const requireSessionDuringEnrolment = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await loadSession(c))) throw new AppError("UNAUTHENTICATED");
  await next();
});

export function sessionOf(c: { get(key: "auth"): AppEnv["Variables"]["auth"] }) {
  const auth = c.get("auth");
  if (!auth) throw new AppError("UNAUTHENTICATED");
  return auth;
}
