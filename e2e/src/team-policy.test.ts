import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
import { confirmTotpSetup, signInMember, startTotpSetup, totpUser, useHarness } from "./harness.js";

// Require 2FA for members (issue 5): the root user's policy, the Team page's compliance, and what a member sees.
const harness = useHarness();

const enrolNow = "Your team requires two-factor authentication. Set it up to continue.";

describe.concurrent("Require 2FA for members journeys", () => {
  it("the root user requires 2FA at once; the Team page counts and filters; a member is taken straight into setup", async () => {
    const rootPage = await harness.rootPage("root.policy@example.com");
    const member = totpUser("policy.member@example.com");
    const sso = "policy.sso@example.com";
    await harness.invite(rootPage, member.email);
    await harness.invite(rootPage, sso);
    await rootPage.locator(`tr[data-member="${sso}"]`).getByRole("button", { name: "Set SSO" }).click();
    await rootPage.getByText(`SSO flag of ${sso} changed.`).waitFor();
    const compliance = rootPage.getByTestId("team-compliance");
    await compliance.getByText("0 of 2 members use 2FA · 1 SSO exempt · 1 without 2FA").waitFor();

    await rootPage.getByLabel("Require two-factor authentication for members").check();
    await rootPage.getByRole("button", { name: "Save two-factor policy" }).click();
    await rootPage.getByText("Two-factor policy saved.").waitFor();

    await rootPage.getByLabel("Filter by 2FA").selectOption({ label: "Not enabled" });
    await rootPage.locator(`tr[data-member="${sso}"]`).waitFor({ state: "detached" });
    await rootPage.locator(`tr[data-member="${member.email}"]`).waitFor();
    await saveScreenshot(rootPage, "console-team-two-factor-policy");

    const page = await harness.activate(member.email);
    await signInMember(page, member.email);
    await page.getByText(enrolNow).waitFor();
    await page.waitForURL(/\/member\/settings$/);
    await page.getByRole("button", { name: "Set up two-factor authentication" }).waitFor();
    expect(await page.getByRole("navigation").getByRole("link").count()).toBe(0);
    await saveScreenshot(page, "member-two-factor-required");

    // Nowhere else to go: the home and Team pages lead back to the setup.
    for (const path of ["/member/", "/member/team"]) {
      await page.goto(harness.url(path));
      await page.waitForURL(/\/member\/settings$/);
      await page.getByText(enrolNow).waitFor();
    }

    await startTotpSetup(page, member);
    await confirmTotpSetup(page, member);
    // The banner goes once the portal has read the enabled 2FA back: wait for it rather than sample it.
    await page.getByText(enrolNow).waitFor({ state: "detached" });
    await page.getByRole("navigation").getByRole("link", { name: "Home" }).click();
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Authenticator App");

    await rootPage.reload();
    await compliance.getByText("1 of 2 members use 2FA · 1 SSO exempt · 0 without 2FA").waitFor();
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  }, 150_000);

  it("with a grace deadline in 5 days, a member signs in as usual and a banner counts the days", async () => {
    const rootPage = await harness.rootPage("root.grace@example.com");
    const email = "grace.member@example.com";
    await harness.invite(rootPage, email);
    // The date input is in the browser's zone: the requirement starts at that day's midnight.
    const inFiveDays = await rootPage.evaluate(() => {
      const at = new Date();
      at.setDate(at.getDate() + 5);
      const pad = (value: number) => String(value).padStart(2, "0");
      return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
    });
    await rootPage.getByLabel("Require two-factor authentication for members").check();
    await rootPage.getByLabel("Grace deadline").fill(inFiveDays);
    await rootPage.getByRole("button", { name: "Save two-factor policy" }).click();
    await rootPage.getByText("Two-factor policy saved.").waitFor();
    await rootPage.reload();
    await expect(rootPage.getByLabel("Grace deadline").inputValue()).resolves.toBe(inFiveDays);
    await expect(
      rootPage.getByLabel("Require two-factor authentication for members").isChecked(),
    ).resolves.toBe(true);

    const page = await harness.activate(email);
    await signInMember(page, email);
    await page.getByText(`Welcome, ${email}`).waitFor();
    await page.getByText("Your team requires two-factor authentication in 5 days.").waitFor();
    await saveScreenshot(page, "member-two-factor-grace");
    await page.getByRole("link", { name: "Set it up now." }).click();
    await page.waitForURL(/\/member\/settings$/);
    await page.getByRole("button", { name: "Set up two-factor authentication" }).waitFor();
    await page.getByText("Your team requires two-factor authentication in 5 days.").waitFor();
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  }, 150_000);
});
