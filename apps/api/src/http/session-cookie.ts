import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Settings } from "../deps.js";

/** S5: HttpOnly, SameSite=Strict, Path=/; Secure with a __Host- name over HTTPS. */
export function sessionCookieName(settings: Settings): string {
  return isHttps(settings) ? "__Host-cloud2fa_session" : "cloud2fa_session";
}

function isHttps(settings: Settings): boolean {
  return /^https:\/\//i.test(settings.publicUrl);
}

export function readSessionToken(c: Context, settings: Settings): string | undefined {
  return getCookie(c, sessionCookieName(settings));
}

export function writeSessionCookie(c: Context, settings: Settings, token: string): void {
  setCookie(c, sessionCookieName(settings), token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: isHttps(settings),
    maxAge: settings.sessionTtlInHours * 3600,
  });
}

export function clearSessionCookie(c: Context, settings: Settings): void {
  deleteCookie(c, sessionCookieName(settings), { path: "/", secure: isHttps(settings) });
}
