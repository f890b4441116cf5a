import { describe, expect, it } from "vitest";
import { linkIn, saveScreenshot } from "./browser.js";
import {
  confirmTotpSetup,
  enterTotpCode,
  leaveAfterSetup,
  PASSWORD,
  startTotpSetup,
  totpUser,
  useHarness,
} from "./harness.js";

const harness = useHarness();
const NEW_PASSWORD = "a brand new passphrase after the reset";

describe("§6.1 forgot password", () => {
  it("§6.1 a root user with the authenticator app resets the password from the sign-in page, then signs in with the new password and the code", async () => {
    const root = totpUser("root.forgot@example.com");
    const page = await harness.rootPage(root.email);
    await page.goto(harness.url("/settings/security"));
    await startTotpSetup(page, root);
    await confirmTotpSetup(page, root);
    await leaveAfterSetup(page);
    await page.getByText("Welcome to the Cloud Console").waitFor();

    // Another browser, signed out: the sign-in page's link carries the address typed so far.
    const other = await harness.newPage();
    await other.goto(harness.url("/signin"));
    await other.getByLabel("Email").fill(root.email);
    await other.getByRole("link", { name: "Forgot password?" }).click();
    await other.getByRole("heading", { name: "Reset your password" }).waitFor();
    await expect(other.getByLabel("Email").inputValue()).resolves.toBe(root.email);
    await saveScreenshot(other, "console-forgot-password");
    await other.getByRole("button", { name: "Email me a reset link" }).click();
    await other
      .getByText(
        "If an account with that address exists, we have emailed a link to reset the password. It works for 30 minutes.",
      )
      .waitFor();

    const mail = await harness.smtp.waitFor(root.email, /Reset your cloud2fa password/);
    await other.goto(linkIn(mail.text, /http:\/\/\S+\/reset-password\?token=\S+/));
    await other.getByRole("heading", { name: "Choose a new password" }).waitFor();
    // §6.3 beside the field; the link still works after it.
    await other.getByLabel("New password").fill("password1234");
    await other.getByRole("button", { name: "Set new password" }).click();
    await other.getByText("This password is one of the most common ones.", { exact: false }).waitFor();
    await saveScreenshot(other, "console-reset-password");
    await other.getByLabel("New password").fill(NEW_PASSWORD);
    await other.getByRole("button", { name: "Set new password" }).click();
    await other
      .getByText(/Your password is changed, and every session of your account was signed out/)
      .waitFor();
    await harness.smtp.waitFor(root.email, /password was reset/);

    // The first browser's session ended with the reset.
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();

    await other.getByRole("link", { name: "Sign in" }).click();
    await other.getByLabel("Email").fill(root.email);
    await other.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.getByRole("alert").waitFor();
    await other.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
    await other.getByRole("button", { name: "Sign in" }).click();
    // R2: the new password only opens the code step.
    await other
      .getByText("Open your authenticator app and enter the 6-digit code it shows for Cloud Console.")
      .waitFor();
    await enterTotpCode(other, root);
    await other.getByText("Welcome to the Cloud Console").waitFor();
    await expect(other.getByTestId("two-factor-status").textContent()).resolves.toContain(
      "Authenticator App",
    );
    await page.context().close();
    await other.context().close();
  });

  it("§6.1 the team member sign-in's link fills in the account ID and address; the answer is the same for an unknown member", async () => {
    const accountId = "acc_AAAAAAAAAAAAAAAAAAAAAA";
    const page = await harness.newPage();
    await page.goto(harness.url(`/member/?account=${accountId}`));
    await page.getByLabel("Email").fill("nobody.here@example.com");
    await page.getByRole("link", { name: "Forgot password?" }).click();
    await page.getByRole("heading", { name: "Reset your password" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/member/forgot-password");
    await expect(page.getByLabel("Account ID").inputValue()).resolves.toBe(accountId);
    await expect(page.getByLabel("Email").inputValue()).resolves.toBe("nobody.here@example.com");
    await page.getByRole("button", { name: "Email me a reset link" }).click();
    await page.getByText("If an account with that address exists, we have emailed a link").waitFor();
    await page.goto(harness.url("/member/reset-password?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    await page.getByLabel("New password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByText("This link is not valid any more").waitFor();
    expect(harness.smtp.received.filter((mail) => mail.to === "nobody.here@example.com")).toEqual([]);
    await page.context().close();
  });
});
