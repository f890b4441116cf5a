import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateTotpCode, totpStepAt } from "@cloud2fa/domain";
import { chromium, type Page } from "playwright-core";

export const screenshotDir = resolve(import.meta.dirname, "../../docs/screenshots");

/** Debian's Chromium (apt-get install chromium); no browser is ever downloaded. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export const desktopViewport = { width: 1200, height: 800 };
export const phoneViewport = { width: 390, height: 844 };

/** The screen as it is, at desktop width (`name.png`) and at phone width (`name-phone.png`). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  await page.setViewportSize(phoneViewport);
  await page.screenshot({ path: join(screenshotDir, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktopViewport);
}

/**
 * S2 refuses a time step at or before the last accepted one: wait for a fresh step of the server's
 * clock (`now`), then compute its code.
 */
export async function freshTotpCode(
  secret: string,
  afterStep: number,
  now: () => Date,
): Promise<{ code: string; step: number }> {
  while (totpStepAt(now()) <= afterStep) await new Promise((done) => setTimeout(done, 500));
  const at = now();
  return { code: generateTotpCode({ secret, at }), step: totpStepAt(at) };
}

export function linkIn(text: string, pattern: RegExp): string {
  const match = text.match(pattern);
  if (!match) throw new Error(`no link matching ${pattern} in:\n${text}`);
  return match[0];
}
