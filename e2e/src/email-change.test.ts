import { describe, expect, it } from "vitest";
import { linkIn, saveScreenshot } from "./browser.js";
import { PASSWORD, signOut, useHarness } from "./harness.js";

// §6.4 in the browser: the Security page's Email address card, the link opened in another browser.

const harness = useHarness();

describe("Root email change journey", () => {
  it("§6.4 a root user asks for a new address on the Security page, opens the link in another browser, then signs in with the new address only", async () => {
    const oldEmail = "root.moves@example.com";
    const newEmail = "root.moved@example.com";
    const page = await harness.rootPage(oldEmail);
    await page.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    const card = page.getByRole("region", { name: "Email address" });
    await card.getByTestId("current-email").getByText(oldEmail).waitFor();
    await card.getByLabel("New email address").fill(newEmail);
    await card.getByLabel("Current password").fill(PASSWORD);
    await card.getByRole("button", { name: "Send a confirmation link" }).click();
    await card.getByText(`We sent a link to ${newEmail}.`, { exact: false }).waitFor();
    await saveScreenshot(page, "console-security-email-change");

    const mail = await harness.smtp.waitFor(newEmail, /Confirm your new cloud2fa sign-in address/);
    await harness.smtp.waitFor(oldEmail, /sign-in address was requested/);
    const elsewhere = await harness.newPage();
    await elsewhere.goto(linkIn(mail.text, /http:\/\/\S+\/confirm-email\?token=\S+/));
    await elsewhere.getByTestId("email-confirmed").getByText(newEmail).waitFor();
    await saveScreenshot(elsewhere, "console-confirm-email");
    await harness.smtp.waitFor(oldEmail, /sign-in address was changed/);

    await signOut(page);
    await harness.signInRoot(page, oldEmail);
    await page.getByRole("alert").waitFor();
    expect(await page.getByText("Welcome to the Cloud Console").count()).toBe(0);
    await harness.signInRoot(page, newEmail);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await page
      .getByRole("region", { name: "Email address" })
      .getByTestId("current-email")
      .getByText(newEmail)
      .waitFor();
  });
});
