import { describeError } from "@cloud2fa/domain";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { desktopViewport, phoneViewport, saveScreenshot } from "./browser.js";
import { accountIdOf, signInMember, signOut, useHarness } from "./harness.js";

const harness = useHarness();

async function signInRefused(page: Page, accountId: string, email: string, sentence: string): Promise<void> {
  await page.getByLabel("Account ID").fill(accountId);
  await signInMember(page, email);
  await expect(page.getByRole("alert").textContent()).resolves.toBe(sentence);
}

describe.concurrent("Team page journeys", () => {
  it("the root user disables a member (who cannot sign in), enables them again, and changes their roles", async () => {
    const rootPage = await harness.rootPage("root.status@example.com");
    const accountId = await accountIdOf(rootPage);
    const email = "member.status@example.com";
    const page = await harness.memberPage(rootPage, email);
    await expect(page.getByRole("navigation").getByRole("link", { name: "Team" }).count()).resolves.toBe(0);

    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${email}"]`);
    await row.getByRole("button", { name: "Disable" }).click();
    await rootPage.getByText(`${email} is now disabled.`).waitFor();
    await row.getByText("disabled", { exact: true }).waitFor();
    await saveScreenshot(rootPage, "console-team-disabled");

    // On a phone each member is a card: nothing scrolls sideways, the email is in view, each value named.
    await rootPage.setViewportSize(phoneViewport);
    await expect(rootPage.getByRole("table", { name: /Team members/ }).count()).resolves.toBe(1);
    await expect(rootPage.evaluate("document.documentElement.scrollWidth")).resolves.toBeLessThanOrEqual(
      phoneViewport.width,
    );
    const emailBox = await row.getByText(email, { exact: true }).boundingBox();
    expect(emailBox && emailBox.x >= 0 && emailBox.x + emailBox.width <= phoneViewport.width).toBe(true);
    await expect(rootPage.locator("thead").isVisible()).resolves.toBe(false);
    await expect(row.locator('td[data-label="Actions"]').isVisible()).resolves.toBe(true);
    await rootPage.setViewportSize(desktopViewport);

    // S5: disabling revokes the member's sessions; a disabled member cannot sign in.
    await page.reload();
    await page.getByRole("heading", { name: "Team Member Sign-in" }).waitFor();
    await signInRefused(page, accountId, email, describeError("ACCOUNT_NOT_ACTIVE"));
    await saveScreenshot(page, "member-sign-in-disabled");

    await row.getByRole("button", { name: "Enable" }).click();
    await rootPage.getByText(`${email} is now active.`).waitFor();
    await row.getByRole("button", { name: "Roles" }).click();
    const editor = row.getByRole("group", { name: "Roles" });
    await editor.getByLabel("Auditor", { exact: true }).check();
    await editor.getByLabel("Project User", { exact: true }).uncheck();
    await saveScreenshot(rootPage, "console-team-roles");
    await editor.getByRole("button", { name: "Save" }).click();
    await rootPage.getByText(`Roles of ${email} changed.`).waitFor();
    await row.locator("td", { hasText: /^Auditor$/ }).waitFor();

    // An Auditor sees the Team page, read only.
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`Welcome, ${email}`).waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Team" }).click();
    await page.getByText("Read only: your role can view the team but not change it.").waitFor();
    expect(await page.getByRole("button", { name: "Disable" }).count()).toBe(0);
    await saveScreenshot(page, "member-team-auditor");
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  });

  it("the root user deletes a member, who can no longer sign in", async () => {
    const rootPage = await harness.rootPage("root.delete@example.com");
    const accountId = await accountIdOf(rootPage);
    const email = "member.deleted@example.com";
    const page = await harness.memberPage(rootPage, email);
    await signOut(page);

    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${email}"]`);
    await row.getByRole("button", { name: "Delete" }).click();
    await rootPage.getByRole("alertdialog").getByText(`Delete ${email}? This is final.`).waitFor();
    await saveScreenshot(rootPage, "console-team-delete-confirm");
    await rootPage.getByRole("button", { name: `Delete ${email}` }).click();
    await rootPage.getByText(`${email} deleted.`).waitFor();
    await row.waitFor({ state: "detached" });

    await signInRefused(page, accountId, email, describeError("INVALID_CREDENTIALS"));
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  });
});
