import { generateTotpCode } from "@cloud2fa/domain";
import { describe, expect, it, vi } from "vitest";
import { desktopViewport, linkIn, phoneViewport, saveScreenshot } from "./browser.js";
import {
  confirmTotpSetup,
  enterTotpCode,
  leaveAfterSetup,
  PASSWORD,
  signOut,
  startTotpSetup,
  totpUser,
  useHarness,
} from "./harness.js";

const harness = useHarness();
const codeMail = /^Your cloud2fa code$/;

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
    // S6 (pre-hijack): the link asks for the password chosen at sign-up; another one verifies nothing.
    await page.goto(linkIn(mail.text, /http:\/\/\S+\/verify-email\?token=\S+/));
    await page.getByLabel("Password you chose at sign-up").fill("not the password chosen at sign-up");
    await page.getByRole("button", { name: "Verify email" }).click();
    await page
      .getByRole("alert")
      .getByText("That is not the password chosen when this address signed up")
      .waitFor();
    await saveScreenshot(page, "console-verify-email-wrong-password");
    await page.getByLabel("Password you chose at sign-up").fill(PASSWORD);
    await page.getByRole("button", { name: "Verify email" }).click();
    await page.getByText("Your email address is verified.").waitFor();
    await saveScreenshot(page, "console-verify-email");

    await harness.signInRoot(page, root.email);
    await page.getByText("Welcome to the Cloud Console").waitFor();

    await page.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await page.getByRole("heading", { name: "Two-Factor Authentication" }).waitFor();
    await saveScreenshot(page, "console-security-choose-method");
    await startTotpSetup(page, root);
    await saveScreenshot(page, "console-security-qr-setup");
    // On a phone the manual key breaks only between its groups, and the header's "Sign out" keeps one line.
    await page.setViewportSize(phoneViewport);
    const groupLines = await page.evaluate(
      "[...document.querySelectorAll('.key-group')].map((group) => group.getClientRects().length)",
    );
    expect(groupLines).toEqual(Array(8).fill(1));
    const signOutLines = await page.evaluate(
      "((text) => (text.selectNodeContents(document.querySelector('.account button')), text.getClientRects().length))(document.createRange())",
    );
    expect(signOutLines).toBe(1);
    await page.setViewportSize(desktopViewport);
    await confirmTotpSetup(page, root);
    await saveScreenshot(page, "console-security-enabled");
    // Notification: 2FA enabled.
    await harness.smtp.waitFor(root.email, /Two-factor authentication enabled for your account/);
    await leaveAfterSetup(page);
    await page.getByText("Welcome to the Cloud Console").waitFor();

    await signOut(page);
    await harness.signInRoot(page, root.email);
    const codeStep = page.getByText(
      "Open your authenticator app and enter the 6-digit code it shows for Cloud Console.",
    );
    await codeStep.waitFor();
    // The code step leads back to the password step, the address still filled in.
    await page.getByRole("button", { name: "← Back to sign-in" }).click();
    await expect(page.getByLabel("Email").inputValue()).resolves.toBe(root.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await codeStep.waitFor();
    // An empty submit is not sent: the field says so.
    await page.getByRole("button", { name: "Verify" }).click();
    await page.getByText("Enter the 6-digit code.").waitFor();
    await saveScreenshot(page, "console-sign-in-code");
    // The code that just finished the setup (S2: used once) is refused, cleared, and the step says to wait
    // for the next code, with the attempts left for this sign-in; the field keeps the focus.
    const codeField = page.getByLabel("Verification code");
    await codeField.fill(generateTotpCode({ secret: root.secret, at: new Date(root.lastStep * 30_000) }));
    await page.getByText(/wait for the next code/).waitFor();
    await expect(page.getByTestId("attempts-left").textContent()).resolves.toBe(
      "4 attempts left for this sign-in.",
    );
    await expect(codeField.inputValue()).resolves.toBe("");
    await expect(page.evaluate("document.activeElement && document.activeElement.id")).resolves.toBe(
      "sign-in-code",
    );
    await saveScreenshot(page, "console-sign-in-code-wrong");
    // Notification: the password passed but the code failed (time, client address, browser).
    const wrongCode = await harness.smtp.waitFor(root.email, /Sign-in with a wrong code for your account/);
    expect(wrongCode.text).toMatch(/Time: \d{4}-\d\d-\d\dT/);
    expect(wrongCode.text).toMatch(/Client address: (127\.0\.0\.1|::1)\n/);
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
    const removal = page.getByRole("form", { name: "Remove two-factor authentication" });
    await removal.waitFor();
    // Each action that needs a code has its own field; an empty submit is answered at that field only.
    await removal.getByRole("button", { name: "Remove two-factor authentication" }).click();
    await removal.getByText("Enter the 6-digit code.").waitFor();
    await expect(page.getByRole("form", { name: "Recovery codes" }).getByRole("alert").count()).resolves.toBe(
      0,
    );
    await saveScreenshot(page, "console-security-remove");
    await enterTotpCode(page, root, "Current code");
    await removal.getByRole("button", { name: "Remove two-factor authentication" }).click();
    // The removal ends with a confirmation, and the setup is offered again.
    await page.getByTestId("two-factor-removed").getByText("Two-factor authentication is removed.").waitFor();
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
    await leaveAfterSetup(page);
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
    await vi.waitFor(() => expect(mailsTo()).toBe(sentBefore + 1), { timeout: 20_000 });
    const firstMail = await harness.smtp.waitFor(email, codeMail);

    // S3: one resend a minute, in real time on the real server; the button counts the minute down.
    await page.getByRole("button", { name: "Resend code", exact: true }).waitFor({ timeout: 75_000 });
    await resend.click();
    await page.getByText("A new code is on its way. The previous code no longer works.").waitFor();
    await expect(resend.isDisabled()).resolves.toBe(true);
    await saveScreenshot(page, "console-sign-in-email-resent");
    await vi.waitFor(() => expect(mailsTo()).toBe(sentBefore + 2), { timeout: 20_000 });
    const resentMail = await harness.smtp.waitFor(email, codeMail);
    const resentCode = linkIn(resentMail.text, /\d{6}/);
    expect(resentCode).not.toBe(linkIn(firstMail.text, /\d{6}/));

    await page.getByLabel("Verification code").fill(resentCode);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Email Message");

    await page.goto(harness.url("/audit"));
    await page.locator(`tr[data-event="two_factor.enabled"]`).first().waitFor();
    await saveScreenshot(page, "console-audit");
    await page.context().close();
  }, 150_000);
});
