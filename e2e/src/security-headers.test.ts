import type { BrowserContext } from "playwright-core";
import { describe, expect, it } from "vitest";
import { linkIn } from "./browser.js";
import { fillActivation, PASSWORD, startTotpSetup, totpUser, useHarness } from "./harness.js";

const harness = useHarness();

/** Every CSP violation in the context's pages: the DOM event, and Chromium's console report of it. */
async function recordViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding("reportCspViolation", (_source, text: string) => {
    violations.push(text);
  });
  // A string: this package is typed without the DOM library.
  await context.addInitScript({
    content: `document.addEventListener("securitypolicyviolation", (event) =>
      window.reportCspViolation(event.violatedDirective + " " + event.blockedURI + " at " + event.sourceFile + ":" + event.lineNumber));`,
  });
  context.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  return violations;
}

describe("no security headers: the built console, member portal and API docs load under the CSP with no violation", () => {
  it("no inline script or style in the served pages, and zero CSP violations through the journeys", async () => {
    for (const path of ["/", "/member/"]) {
      const response = await fetch(harness.url(path));
      expect(response.headers.get("content-security-policy"), path).toContain("script-src 'self'");
      expect(response.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
      expect(response.headers.get("referrer-policy"), path).toBe("no-referrer");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(await response.text(), path).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=/);
    }

    const page = await harness.newPage();
    const violations = await recordViolations(page.context());
    // The recorder sees a violation when there is one: an inline style attribute is refused.
    await page.goto(harness.url("/signin"));
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.evaluate(`document.body.insertAdjacentHTML("beforeend", '<p style="color: red">probe</p>')`);
    await expect.poll(() => violations.length).toBe(2);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^style-src-attr /),
        expect.stringMatching(/^console: .*inline style/),
      ]),
    );
    violations.length = 0;

    const root = totpUser("root.csp@example.com");
    await harness.createRootUser(root.email);
    await page.goto(harness.url("/signup"));
    await page.getByRole("button", { name: "Create account" }).waitFor();
    await harness.signInRoot(page, root.email);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await page.goto(harness.url("/settings/security"));
    // The TOTP setup shows its QR code, a data: image.
    await startTotpSetup(page, root);
    await expect
      .poll(() => page.evaluate(`document.querySelector("img[alt^='QR code']")?.naturalWidth ?? 0`))
      .toBeGreaterThan(0);
    await page.goto(harness.url("/team"));
    await page.getByText("Invite a member").waitFor();
    await page.goto(harness.url("/audit"));
    await page.getByRole("link", { name: "Download CSV" }).waitFor();

    const member = "member.csp@example.com";
    await harness.invite(page, member);
    const memberPage = await harness.newPage();
    const memberViolations = await recordViolations(memberPage.context());
    const mail = await harness.smtp.waitFor(member, /invited/);
    await memberPage.goto(linkIn(mail.text, /http:\/\/\S+\/member\/activate\?token=\S+/));
    await fillActivation(memberPage);
    await memberPage.getByText("is active").waitFor();
    await memberPage.getByRole("link", { name: "Sign in" }).click();
    await memberPage.getByLabel("Email").fill(member);
    await memberPage.getByLabel("Password").fill(PASSWORD);
    await memberPage.getByRole("button", { name: "Sign in" }).click();
    await memberPage.getByText(`Welcome, ${member}`).waitFor();
    await memberPage.goto(harness.url("/member/settings"));
    await memberPage.getByLabel("Authenticator App").waitFor();

    await page.goto(harness.url("/api/docs"));
    await page.getByText("/api/auth/root/login").first().waitFor();

    expect(violations).toEqual([]);
    expect(memberViolations).toEqual([]);
  });
});
