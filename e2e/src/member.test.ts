import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
import {
  accountIdOf,
  confirmTotpSetup,
  enterTotpCode,
  signInMember,
  signOut,
  startTotpSetup,
  totpUser,
  useHarness,
} from "./harness.js";

const harness = useHarness();

const alreadyConfigured =
  "Two-factor authentication is already configured. Only the root user can remove it — contact your root user.";

describe.concurrent("team member journeys", () => {
  it("a member activates, signs in, enables 2FA and cannot remove it; an administrator cannot remove it either", async () => {
    const rootPage = await harness.rootPage("root.member@example.com");
    const member = totpUser("member.enrols@example.com");
    const admin = "admin@example.com";
    await harness.invite(rootPage, member.email);
    await harness.invite(rootPage, admin, ["Administrator"]);
    await saveScreenshot(rootPage, "console-team");

    const page = await harness.activate(member.email);
    await saveScreenshot(page, "member-sign-in");
    await signInMember(page, member.email);
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await saveScreenshot(page, "member-home");
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await startTotpSetup(page, member);
    await saveScreenshot(page, "member-settings-qr-setup");
    await confirmTotpSetup(page, member);
    await page.reload();
    await page.getByText(alreadyConfigured).waitFor();
    expect(await page.getByRole("button", { name: "Remove two-factor authentication" }).count()).toBe(0);
    await saveScreenshot(page, "member-settings-enabled");

    const adminPage = await harness.activate(admin);
    await signInMember(adminPage, admin);
    await adminPage.getByText(`Welcome, ${admin}`).waitFor();
    await adminPage.getByRole("navigation").getByRole("link", { name: "Team" }).click();
    const row = adminPage.locator(`tr[data-member="${member.email}"]`);
    await expect(row.getByRole("button", { name: "Remove 2FA" }).isDisabled()).resolves.toBe(true);
    await row.getByText("Only the root user can remove a member's two-factor authentication.").waitFor();
    // Nobody changes its own membership: the administrator's own row offers no Disable, Roles or Delete.
    const ownRow = adminPage.locator(`tr[data-member="${admin}"]`);
    await ownRow.getByTestId("own-membership").waitFor();
    for (const name of ["Disable", "Roles", "Delete"]) {
      expect(await ownRow.getByRole("button", { name }).count()).toBe(0);
    }
    await saveScreenshot(adminPage, "member-team-administrator");
    await Promise.all([page, adminPage, rootPage].map((open) => open.context().close()));
  });

  it("after the root user removes a member's 2FA, the member signs in without a code, enrols again, and signs in with a code", async () => {
    const rootPage = await harness.rootPage("root.removes@example.com");
    const accountId = await accountIdOf(rootPage);
    const member = totpUser("member.reenrols@example.com");
    const page = await harness.memberPage(rootPage, member.email);
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await startTotpSetup(page, member);
    await confirmTotpSetup(page, member);
    await signOut(page);
    await expect(page.getByLabel("Account ID").inputValue()).resolves.toBe(accountId);

    // R9: lost authenticator; the root user removes it from the Team page.
    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${member.email}"]`);
    await row.getByRole("button", { name: "Remove 2FA" }).click();
    await rootPage
      .getByRole("alertdialog")
      .getByText(`Remove two-factor authentication of ${member.email}?`)
      .waitFor();
    await rootPage.getByRole("alertdialog").getByLabel("Reason").fill("Lost phone, confirmed by a call");
    await saveScreenshot(rootPage, "console-team-remove-2fa-confirm");
    await rootPage.getByRole("button", { name: `Remove 2FA of ${member.email}` }).click();
    await rootPage.getByText(`Two-factor authentication of ${member.email} removed.`).waitFor();
    const notice = await harness.smtp.waitFor(member.email, /removed for your account/);
    expect(notice.text).toContain("by root.removes@example.com");
    expect(notice.text).toContain("Reason given: Lost phone, confirmed by a call");
    // The table reloads after the success notice: wait for it rather than sample it.
    await row.getByText("Off").waitFor();

    await signInMember(page, member.email);
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Not enabled");

    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    const oldSecret = member.secret;
    await startTotpSetup(page, member);
    expect(member.secret).not.toBe(oldSecret);
    await confirmTotpSetup(page, member);
    await signOut(page);

    await signInMember(page, member.email);
    await page
      .getByText("Open your authenticator app and enter the 6-digit code it shows for Cloud Console.")
      .waitFor();
    await saveScreenshot(page, "member-sign-in-code");
    await enterTotpCode(page, member);
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Authenticator App");
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  }, 150_000);

  it("an SSO member is told why setup is unavailable", async () => {
    const rootPage = await harness.rootPage("root.sso@example.com");
    const sso = "sso@example.com";
    await harness.invite(rootPage, sso);
    const row = rootPage.locator(`tr[data-member="${sso}"]`);
    await row.getByRole("button", { name: "Set SSO" }).click();
    await rootPage.getByText(`SSO flag of ${sso} changed.`).waitFor();

    const page = await harness.activate(sso);
    await signInMember(page, sso);
    await page.getByText(`Welcome, ${sso}`).waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await expect(page.getByTestId("setup-unavailable").textContent()).resolves.toContain(
      "Two-factor authentication is not available for SSO accounts.",
    );
    await saveScreenshot(page, "member-settings-sso");
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  });
});
