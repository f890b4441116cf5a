import { describeError } from "@cloud2fa/domain";
import { PGlite } from "@electric-sql/pglite";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { linkIn, saveScreenshot } from "./browser.js";
import {
  confirmTotpSetup,
  enterTotpCode,
  INITIAL_PASSWORD,
  leaveAfterSetup,
  PASSWORD,
  signOut,
  startTotpSetup,
  totpUser,
  useHarness,
} from "./harness.js";

// §6.2 in the browser: the Password card of the Security pages, with the code prompt when 2FA is
// on, and the activation page where a member replaces its inviter's password.

const harness = useHarness();
const NEW_PASSWORD = "a password of my very own";

async function changePassword(page: Page, current: string, next: string): Promise<void> {
  const card = page.getByTestId("change-password-card");
  await card.getByLabel("Current password", { exact: true }).fill(current);
  await card.getByLabel("New password", { exact: true }).fill(next);
  await card.getByRole("button", { name: "Change password" }).click();
}

describe("§6.2 change password journeys", () => {
  it("§6.2 a root user with 2FA changes the password on the Security page (the code asked for), the other browser is signed out, and the new password signs in with the code", async () => {
    const root = totpUser("root.password@example.com");
    const page = await harness.rootPage(root.email);
    await page.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await startTotpSetup(page, root);
    await confirmTotpSetup(page, root);
    await leaveAfterSetup(page);
    // Another browser signed in with the password and the code.
    const other = await harness.newPage();
    await harness.signInRoot(other, root.email);
    await harness.server.advanceClock(30_000);
    await enterTotpCode(other, root);
    await other.getByText("Welcome to the Cloud Console").waitFor();
    // The last code of the first browser becomes older than 10 minutes.
    await harness.server.advanceClock(11 * 60_000);

    await page.goto(harness.url("/settings/security"));
    await changePassword(page, PASSWORD, NEW_PASSWORD);
    const card = page.getByTestId("change-password-card");
    const prompt = card.getByRole("form", {
      name: new RegExp(describeError("STEP_UP_REQUIRED").slice(0, 20)),
    });
    await prompt.waitFor();
    await prompt.getByTestId("step-up-action").getByText("Change your password").waitFor();
    await saveScreenshot(page, "console-security-password-step-up");
    await enterTotpCode(page, root, "Confirmation code");
    await card.getByText("Your password was changed.").waitFor();
    await saveScreenshot(page, "console-security-password");

    await other.reload();
    await other.getByRole("button", { name: "Sign in" }).waitFor();

    await signOut(page);
    await page.getByLabel("Email").fill(root.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(describeError("INVALID_CREDENTIALS")).waitFor();
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await harness.server.advanceClock(30_000);
    await enterTotpCode(page, root);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await page.context().close();
    await other.context().close();
  });

  it("§6.2 a member activates with the inviter's password and one of its own (the inviter's then fails), then changes it in Settings and signs in with the new one", async () => {
    const rootPage = await harness.rootPage("root.activation@example.com");
    const email = "member.activation@example.com";
    await harness.invite(rootPage, email);
    const mail = await harness.smtp.waitFor(email, /invited/);
    const page = await harness.newPage();
    await page.goto(linkIn(mail.text, /http:\/\/\S+\/member\/activate\?token=\S+/));
    await page.getByLabel("Initial password from your invitation").fill(INITIAL_PASSWORD);
    await page.getByLabel("Your new password").fill(PASSWORD);
    await saveScreenshot(page, "member-activate");
    // A wrong initial password, then the initial one again as the new one: refused, the link still works.
    await page.getByLabel("Initial password from your invitation").fill("not what was given");
    await page.getByLabel("Your new password").fill(PASSWORD);
    await page.getByRole("button", { name: "Activate account" }).click();
    await page.getByRole("alert").waitFor();
    await page.getByLabel("Initial password from your invitation").fill(INITIAL_PASSWORD);
    await page.getByLabel("Your new password").fill(INITIAL_PASSWORD);
    await page.getByRole("button", { name: "Activate account" }).click();
    await page.getByText("Choose a password different from the one you have now.").waitFor();
    await page.getByLabel("Your new password").fill(PASSWORD);
    await page.getByRole("button", { name: "Activate account" }).click();
    await page.getByText("is active").waitFor();
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Team Member Sign-in" }).waitFor();

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(INITIAL_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(describeError("INVALID_CREDENTIALS")).waitFor();
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`Welcome, ${email}`).waitFor();

    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await changePassword(page, PASSWORD, NEW_PASSWORD);
    await page.getByTestId("change-password-card").getByText("Your password was changed.").waitFor();
    await saveScreenshot(page, "member-settings-password");
    await signOut(page);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`Welcome, ${email}`).waitFor();
    await page.context().close();
    await rootPage.context().close();
  });

  it('§6.2 a member activated before §6.2 sees only "Choose a new password" until it has one of its own', async () => {
    const rootPage = await harness.rootPage("root.held@example.com");
    const email = "member.held@example.com";
    const page = await harness.memberPage(rootPage, email, ["Administrator"]);
    // As migration 0009 marks a member activated before §6.2.
    await harness.server.restart(async (dataDir) => {
      const db = await PGlite.create(`file://${dataDir}/pgdata`);
      try {
        const updated = await db.query("update users set must_change_password = true where email = $1", [
          email,
        ]);
        expect(updated.affectedRows).toBe(1);
      } finally {
        await db.close();
      }
    });
    await page.goto(harness.url("/member/team"));
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await expect(page.getByRole("navigation").getByRole("link", { name: "Team" }).count()).resolves.toBe(0);
    await page.goto(harness.url("/member/settings"));
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await saveScreenshot(page, "member-choose-password");
    const card = page.getByTestId("change-password-card");
    await card.getByLabel("Password from your administrator").fill(PASSWORD);
    await card.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
    await card.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Team" }).click();
    await page.locator(`tr[data-member="${email}"]`).waitFor();
    await signOut(page);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(NEW_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`Welcome, ${email}`).waitFor();
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  });
});
