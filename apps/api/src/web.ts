import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context, Env, Hono } from "hono";
import type { Schema } from "hono/types";
import type { Logger } from "./deps.js";

export interface WebApp {
  /** URL prefix without a trailing slash: "" for the console, "/member" for the member portal. */
  prefix: string;
  dir: string;
}

const API_PATHS = /^\/(api|healthz|readyz)(\/|$)/;

/**
 * Where the built apps are: WEB_DIST_DIR/{console,member-portal} when set, else the workspace's
 * apps/{console,member-portal}/dist beside this package.
 */
export function locateWebApps(webDistDir: string | undefined): WebApp[] {
  if (webDistDir !== undefined) {
    if (!existsSync(webDistDir)) throw new Error(`WEB_DIST_DIR ${webDistDir} does not exist`);
    return [
      { prefix: "/member", dir: resolve(webDistDir, "member-portal") },
      { prefix: "", dir: resolve(webDistDir, "console") },
    ];
  }
  const appsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  return [
    { prefix: "/member", dir: join(appsDir, "member-portal", "dist") },
    { prefix: "", dir: join(appsDir, "console", "dist") },
  ];
}

function serveApp(webApp: WebApp) {
  const indexHtml = readFileSync(join(webApp.dir, "index.html"), "utf8");
  const files = serveStatic({
    root: webApp.dir,
    rewriteRequestPath: (path) => path.slice(webApp.prefix.length) || "/",
    onFound: (path, c) => {
      const isHashedAsset = path.includes(`${join(webApp.dir, "assets")}`);
      c.header("Cache-Control", isHashedAsset ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  return async (c: Context) => {
    const served = await files(c, async () => {});
    if (served) return served;
    if (c.req.path.startsWith(`${webApp.prefix}/assets/`)) return c.notFound();
    // SPA fallback: any other page of the app is its index.html; the client router takes over.
    c.header("Cache-Control", "no-cache");
    return c.html(indexHtml);
  };
}

/** The built web apps join the API on one port: the console at /, the member portal at /member/. */
export function mountWebApps<E extends Env, S extends Schema, B extends string>(
  app: Hono<E, S, B>,
  webDistDir: string | undefined,
  logger?: Logger,
): void {
  const handlers = locateWebApps(webDistDir).map((webApp) => {
    const isBuilt = existsSync(join(webApp.dir, "index.html"));
    if (!isBuilt) logger?.warn(`web app not built, not served: ${webApp.dir} (run pnpm build)`);
    return { ...webApp, handle: isBuilt ? serveApp(webApp) : null };
  });
  app.get("/member", (c) => c.redirect("/member/", 301));
  app.on(["GET", "HEAD"], "*", async (c, next) => {
    if (API_PATHS.test(c.req.path)) return next();
    const webApp = handlers.find(
      (handler) => handler.prefix === "" || c.req.path.startsWith(`${handler.prefix}/`),
    );
    if (!webApp?.handle) return next();
    return webApp.handle(c);
  });
}
