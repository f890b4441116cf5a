import { MAX_BODY_BYTES } from "@cloud2fa/domain";
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { isDatabaseReachable } from "./db/connect.js";
import { isDatabaseUnavailable, isTransientConflict } from "./db/errors.js";
import type { Deps } from "./deps.js";
import { attachRequestContext } from "./http/authenticate.js";
import { limitBodySize } from "./http/body-limit.js";
import { rejectCrossSiteRequests } from "./http/csrf.js";
import type { AppEnv } from "./http/env.js";
import { AppError, errorBody } from "./http/errors.js";
import { securityHeaders } from "./http/security-headers.js";
import { auditRoutes } from "./routes/audit.js";
import { authRoutes } from "./routes/auth.js";
import { docsPage, docsScript, docsStyle } from "./routes/docs.js";
import { emailChangeRoutes } from "./routes/email-change.js";
import { meRoutes } from "./routes/me.js";
import { passwordRoutes } from "./routes/password.js";
import { passwordResetRoutes } from "./routes/password-reset.js";
import { serviceRoutes } from "./routes/services.js";
import { sessionRoutes } from "./routes/sessions.js";
import { ssoRoutes } from "./routes/sso.js";
import { teamRoutes } from "./routes/team.js";
import { teamSettingsRoutes } from "./routes/team-settings.js";
import { teamTwoFactorPolicyRoutes } from "./routes/team-two-factor-policy.js";

/** The whole HTTP interface of SPEC §4 on injected deps: main.ts serves it, tests call app.request. */
export function createApp(deps: Deps) {
  const api = new OpenAPIHono<AppEnv>()
    .route("/", authRoutes)
    .route("/", passwordResetRoutes)
    .route("/", meRoutes)
    .route("/", passwordRoutes)
    .route("/", teamRoutes)
    .route("/", sessionRoutes)
    .route("/", teamSettingsRoutes)
    .route("/", teamTwoFactorPolicyRoutes)
    .route("/", emailChangeRoutes)
    .route("/", auditRoutes)
    .route("/", serviceRoutes)
    .route("/", ssoRoutes);

  api.openAPIRegistry.registerComponent("securitySchemes", "session", {
    type: "apiKey",
    in: "cookie",
    name: "cloud2fa_session",
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "serviceCredential", {
    type: "http",
    scheme: "bearer",
  });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "cloud2fa API",
      version: "1.0.0",
      description: "Two-factor authentication of the cloud console.",
    },
  });

  const app = new OpenAPIHono<AppEnv>();
  app.use("*", securityHeaders(deps.settings.publicUrl));
  app.use("*", limitBodySize(MAX_BODY_BYTES));
  app.use("*", rejectCrossSiteRequests(new URL(deps.settings.publicUrl).origin));
  app.use("*", attachRequestContext(deps));
  // A request that queued mail wakes the sender after its answer (its transaction has committed by
  // then); the others cost the sender nothing, and its poll catches mail queued elsewhere.
  app.use("/api/*", async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    let isMailQueued = false;
    c.set("deps", {
      ...deps,
      outbox: {
        wake: deps.outbox.wake,
        noteQueued: () => {
          isMailQueued = true;
        },
      },
    });
    try {
      await next();
    } finally {
      if (isMailQueued) deps.outbox.wake();
    }
  });
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) =>
    (await isDatabaseReachable(deps.db))
      ? c.json({ status: "ok" }, 200)
      : c.json(errorBody("DATABASE_UNAVAILABLE"), 503),
  );
  app.get("/api/docs", (c) => c.html(docsPage));
  app.get("/api/docs.js", (c) =>
    c.body(docsScript, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  app.get("/api/docs.css", (c) => c.body(docsStyle, 200, { "Content-Type": "text/css; charset=utf-8" }));
  // Chained so that AppType carries the routes for the typed client of the web apps (hc<AppType>).
  const routed = app.route("/api", api);
  app.notFound((c) => c.json(errorBody("NOT_FOUND"), 404));
  app.onError((error, c) => {
    if (error instanceof AppError) {
      if (error.retryAfterSeconds !== undefined) c.header("Retry-After", String(error.retryAfterSeconds));
      return c.json(errorBody(error.code, error.message, error.detail), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Malformed JSON and other protocol errors raised by the validators: S7.
      return c.json(errorBody("VALIDATION_FAILED", error.message || "invalid request"), 400);
    }
    if (isDatabaseUnavailable(error)) {
      c.header("Retry-After", "5");
      return c.json(errorBody("DATABASE_UNAVAILABLE"), 503);
    }
    if (isTransientConflict(error)) {
      // A safety net: lock order keeps deadlocks out, but a rolled-back transaction is a retry, not a 500.
      deps.logger.warn("transaction conflict", { error: String(error) });
      c.header("Retry-After", "1");
      return c.json(errorBody("DATABASE_UNAVAILABLE", "The request conflicted with another; retry it."), 503);
    }
    deps.logger.error("unhandled error", { error: String(error), stack: (error as Error)?.stack });
    return c.json(errorBody("INTERNAL_ERROR"), 500);
  });
  return routed;
}

export type AppType = ReturnType<typeof createApp>;
