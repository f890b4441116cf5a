import { existsSync } from "node:fs";
import type { Hono } from "hono";

/** The built web apps join the API on one port (console at /, member portal at /member/) once they exist. */
export function mountWebApps(_app: Hono<never> | object, webDistDir: string | undefined): void {
  if (webDistDir && !existsSync(webDistDir)) throw new Error(`WEB_DIST_DIR ${webDistDir} does not exist`);
}
