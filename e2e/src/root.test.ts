import { describeError, generateTotpCode } from "@cloud2fa/domain";
import { describe, expect, it, vi } from "vitest";
import { linkIn, saveScreenshot } from "./browser.js";
import {
  confirmTotpSetup,
  enterTotpCode,
  PASSWORD,
  signOut,
  startTotpSetup,
  totpUser,
  useHarness,
} from "./harness.js";

const harness = useHarness();
const codeMail = /code: \d{6}/;

/** A six-digit code the server accepts at none of the steps T−1, T, T+1 (nor the next step, should one begin). */
function wrongTotpNow(secret: string): string {
  const now = Date.now();
  const valid = new Set(
    [-1, 0, 1, 2].map((offset) => generateTotpCode({ secret, at: new Date(now + offset * 30_000) })),
  );
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!valid.has(code)) return code;
  }
}

describe.concurrent("root user journeys", () => {
  it("signs up, verifies, enables the authenticator app, signs out, signs in with a code, removes it with a code", async () => {
    const root = totpUser("root.app@example.com");
    const page = await harness.newPage();
    await page.goto(harness.url("/signup"));
    await saveScreenshot(page, "console-sign-up");
    await page.getByLabel("Email").fill(root.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByText("Check your email").waitFor();

    const mail = await harness.smtp.waitFor(root.email, /Verify/);
    await page.goto(linkIn(mail.text, /http:\/\/\S+\/verify-email\?token=\S+/));
    await page.getByText("Your email address is verified.").waitFor();
    await saveScreenshot(page, "console-verify-email");

    await harness.signInRoot(page, root.email);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await saveScreenshot(page, "console-home");

    await page.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await page.getByRole("heading", { name: "Two-Factor Authentication" }).waitFor();
    await saveScreenshot(page, "console-security-choose-method");
    await startTotpSetup(page, root);
    await saveScreenshot(page, "console-security-qr-setup");
    await confirmTotpSetup(page, root);
    await saveScreenshot(page, "console-security-enabled");
    // Notification: 2FA enabled.
    await harness.smtp.waitFor(root.email, /Two-factor authentication enabled for your account/);
    await page.getByRole("link", { name: "Back to the Cloud Console" }).click();
    await page.getByText("Welcome to the Cloud Console").waitFor();

    await signOut(page);
    await harness.signInRoot(page, root.email);
    await page.getByText("Enter the 6-digit code shown in your authenticator app.").waitFor();
    await saveScreenshot(page, "console-sign-in-code");
    // Notification: the password passed but the code failed (time, client address, browser).
    await page.getByLabel("Verification code").fill(wrongTotpNow(root.secret));
    await page.getByText(describeError("INVALID_CODE")).waitFor();
    const wrongCode = await harness.smtp.waitFor(root.email, /Sign-in with a wrong code for your account/);
    expect(wrongCode.text).toMatch(/Time: \d{4}-\d\d-\d\dT/);
    expect(wrongCode.text).toMatch(/Client address: (127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)\n/);
    expect(wrongCode.text).toMatch(/Device: Chrome on Linux/);
    await enterTotpCode(page, root);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Authenticator App");
    const stored = await page.evaluate(
      "JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })",
    );
    expect(stored).toBe("{}{}");

    // R10: the root user removes their own 2FA with a current code.
    await page.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await page.getByText("Remove two-factor authentication").first().waitFor();
    await saveScreenshot(page, "console-security-remove");
    await enterTotpCode(page, root, "Current code");
    await page.getByRole("button", { name: "Remove two-factor authentication" }).click();
    await page.getByLabel("Email Message").waitFor();
    await page.context().close();
  });

  it("enables email 2FA, signs in with the mailed code, and resends it after the cooldown", async () => {
    const email = "root.email@example.com";
    const page = await harness.rootPage(email);
    await page.goto(harness.url("/settings/security"));
    await page.getByLabel("Email Message").check();
    await page.getByLabel("Your password").fill(PASSWORD);
    await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
    await page.getByText("We emailed a 6-digit code to").waitFor();
    await saveScreenshot(page, "console-security-email-setup");
    const setupMail = await harness.smtp.waitFor(email, codeMail);
    await page.getByLabel("Verification code").fill(linkIn(setupMail.text, /\d{6}/));
    await page.getByText("Two-factor authentication is enabled.").waitFor();
    await page.getByRole("link", { name: "Back to the Cloud Console" }).click();
    await signOut(page);

    // "Test it right away": a challenge's first mail is not a resend, so no wait after the setup mail (S3).
    const mailsTo = () =>
      harness.smtp.received.filter((mail) => mail.to === email && codeMail.test(mail.subject)).length;
    const sentBefore = mailsTo();
    await harness.signInRoot(page, email);
    await page.getByText("We emailed a 6-digit code").waitFor();
    const resend = page.getByRole("button", { name: /Resend code/ });
    await expect(resend.textContent()).resolves.toMatch(/^Resend code in [01]:\d\d$/);
    await expect(resend.isDisabled()).resolves.toBe(true);
    await saveScreenshot(page, "console-sign-in-email-code");
    await vi.waitFor(() => expect(mailsTo()).toBe(sentBefore + 1), { timeout: 5000 });
    const firstMail = await harness.smtp.waitFor(email, codeMail);

    // S3: one resend a minute, in real time on the real server; the button counts the minute down.
    await page.getByRole("button", { name: "Resend code", exact: true }).waitFor({ timeout: 75_000 });
    await resend.click();
    await page.getByText("A new code is on its way. The previous code no longer works.").waitFor();
    await expect(resend.isDisabled()).resolves.toBe(true);
    await saveScreenshot(page, "console-sign-in-email-resent");
    await vi.waitFor(() => expect(mailsTo()).toBe(sentBefore + 2), { timeout: 5000 });
    const resentMail = await harness.smtp.waitFor(email, codeMail);
    const resentCode = linkIn(resentMail.text, /\d{6}/);
    expect(resentCode).not.toBe(linkIn(firstMail.text, /\d{6}/));

    await page.getByLabel("Verification code").fill(resentCode);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Email Message");

    await page.goto(harness.url("/audit"));
    await page.getByText("two_factor.enabled").first().waitFor();
    await saveScreenshot(page, "console-audit");
    await page.context().close();
  }, 150_000);
});
