import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
import { confirmTotpSetup, signOut, startTotpSetup, totpUser, useHarness } from "./harness.js";

const harness = useHarness();

describe("recovery codes", () => {
  it("a root user enables the app, sees and downloads ten recovery codes, signs out, signs in with one", async () => {
    const root = totpUser("root.recovery@example.com");
    const page = await harness.rootPage(root.email);
    await page.goto(harness.url("/settings/security"));
    await startTotpSetup(page, root);
    await confirmTotpSetup(page, root);

    const panel = page.getByTestId("recovery-codes");
    await panel.waitFor();
    const codes = (await panel.locator("li code").allTextContents()).map((code) => code.trim());
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}$/);

    // Copy and Print beside Download; the console's way back appears only once the codes are saved.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await panel.getByRole("button", { name: "Copy", exact: true }).click();
    await panel.getByText("Copied.").waitFor();
    const copied = String(await page.evaluate("navigator.clipboard.readText()"));
    for (const code of codes) expect(copied).toContain(code);
    await panel.getByRole("button", { name: "Print" }).waitFor();
    await expect(page.getByRole("link", { name: "Back to the Cloud Console" }).count()).resolves.toBe(0);
    await saveScreenshot(page, "console-security-recovery-codes");
    // Leaving by the navigation waits for "I have saved them".
    await page.getByRole("navigation").getByRole("link", { name: "Home" }).click();
    await panel.getByText("Save your recovery codes first").waitFor();
    expect(new URL(page.url()).pathname).toBe("/settings/security");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      panel.getByRole("button", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("cloud2fa-recovery-codes.txt");
    const saved = readFileSync((await download.path()) ?? "", "utf8");
    for (const code of codes) expect(saved).toContain(code);

    await panel.getByRole("button", { name: "I have saved them" }).click();
    await panel.waitFor({ state: "detached" });
    await page.getByRole("link", { name: "Back to the Cloud Console" }).click();
    await page.getByText("Welcome to the Cloud Console").waitFor();

    await signOut(page);
    await harness.signInRoot(page, root.email);
    await page
      .getByText("Open your authenticator app and enter the 6-digit code it shows for Cloud Console.")
      .waitFor();
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill((codes[0] ?? "").toUpperCase());
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Authenticator App");
    await harness.smtp.waitFor(root.email, /Recovery code used/);
    await page.context().close();
  });
});
