import { describeError } from "@cloud2fa/domain";
import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
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

// Step-up (issue 5) in the browser. The journeys move the server's clock 11 minutes on, so the
// session's last code is older than 10 minutes without a wait; the session itself stays valid
// (30 minutes idle). They run one after another: each move is seen by every journey of the file.

const harness = useHarness();

/** The session's last code becomes 11 minutes old. */
async function ageStepUp() {
  await harness.server.advanceClock(11 * 60_000);
}

/** The code of the next "Your cloud2fa code" mail to `to` after `send`. */
async function mailedCode(to: string, send: () => Promise<void>): Promise<string> {
  const codeMails = () =>
    harness.smtp.received.filter((mail) => mail.to === to && /Your cloud2fa code/.test(mail.subject));
  const seen = codeMails().length;
  await send();
  const deadline = Date.now() + 15_000;
  while (codeMails().length <= seen) {
    if (Date.now() > deadline) throw new Error(`no code mail to ${to}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return /(\d{6})/.exec(codeMails()[seen]?.text ?? "")?.[1] ?? "";
}

describe("Step-up journeys", () => {
  it("Step-up: 10 minutes after the sign-in code, Remove 2FA asks for a code inline, then goes through", async () => {
    const root = totpUser("root.stepup@example.com");
    const member = totpUser("member.stepup@example.com");
    const rootPage = await harness.rootPage(root.email);
    const memberPage = await harness.memberPage(rootPage, member.email);
    await memberPage.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await startTotpSetup(memberPage, member);
    await confirmTotpSetup(memberPage, member);

    await rootPage.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await startTotpSetup(rootPage, root);
    await confirmTotpSetup(rootPage, root);
    await leaveAfterSetup(rootPage);
    // The root user signs in with the authenticator app: the sign-in code is the session's last code.
    await signOut(rootPage);
    await harness.signInRoot(rootPage, root.email);
    await harness.server.advanceClock(30_000); // a time step after the setup's, without waiting for it
    await enterTotpCode(rootPage, root);
    await rootPage.getByText("Welcome to the Cloud Console").waitFor();

    await ageStepUp();

    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${member.email}"]`);
    await row.getByText("Enabled").waitFor();
    await row.getByRole("button", { name: "Remove 2FA" }).click();
    await rootPage.getByRole("button", { name: `Remove 2FA of ${member.email}` }).click();

    // The API answered STEP_UP_REQUIRED: the code prompt opens in the member's row, focused.
    const prompt = row.getByRole("form", {
      name: new RegExp(describeError("STEP_UP_REQUIRED").slice(0, 20)),
    });
    await prompt.waitFor();
    const codeField = prompt.getByLabel("Confirmation code");
    const focusedId = await rootPage.evaluate("document.activeElement && document.activeElement.id");
    expect(focusedId).toBe(await codeField.getAttribute("id"));
    await row.getByText("Enabled").waitFor();
    await prompt.getByTestId("step-up-action").getByText(`Remove 2FA of ${member.email}`).waitFor();
    await saveScreenshot(rootPage, "console-team-step-up");

    await enterTotpCode(rootPage, root, "Confirmation code");
    await rootPage.getByText(`Two-factor authentication of ${member.email} removed.`).waitFor();
    await row.getByText("Off").waitFor();
    expect(await row.getByRole("form").count()).toBe(0);
    await harness.smtp.waitFor(member.email, /removed for your account/);
    await Promise.all([memberPage, rootPage].map((open) => open.context().close()));
  });

  it("Step-up gap: re-activating a disabled Administrator asks for a code in the row, the Administrator stays disabled until it is entered", async () => {
    const root = totpUser("root.stepup.enable@example.com");
    const adminEmail = "admin.stepup.enable@example.com";
    const rootPage = await harness.rootPage(root.email);
    const adminPage = await harness.memberPage(rootPage, adminEmail, ["Administrator"]);
    await adminPage.context().close();
    await rootPage.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await startTotpSetup(rootPage, root);
    await confirmTotpSetup(rootPage, root);
    // Disabling within 10 minutes of the setup code goes through at once.
    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${adminEmail}"]`);
    await row.getByRole("button", { name: "Disable" }).click();
    await rootPage.getByText(`${adminEmail} is now disabled.`).waitFor();

    await ageStepUp();

    await rootPage.goto(harness.url("/team"));
    await row.getByRole("button", { name: "Enable" }).click();
    const prompt = row.getByRole("form", {
      name: new RegExp(describeError("STEP_UP_REQUIRED").slice(0, 20)),
    });
    await prompt.waitFor();
    await prompt.getByTestId("step-up-action").getByText(`Make ${adminEmail} active`).waitFor();
    // Refused: the Administrator is still disabled.
    await row.getByText("disabled", { exact: true }).waitFor();
    const listed = await rootPage.context().request.get(harness.url("/api/team/members"));
    expect((await listed.json()).members).toContainEqual(
      expect.objectContaining({ email: adminEmail, status: "disabled" }),
    );

    await enterTotpCode(rootPage, root, "Confirmation code");
    await rootPage.getByText(`${adminEmail} is now active.`).waitFor();
    await row.getByText("active", { exact: true }).waitFor();
    expect(await row.getByRole("form").count()).toBe(0);
    await rootPage.context().close();
  });

  it("Step-up, R7: a root user with the email method changes the team settings after an emailed code, inline in the card", async () => {
    const email = "root.stepup.email@example.com";
    const rootPage = await harness.rootPage(email);
    await rootPage.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await rootPage.getByLabel("Email Message").check();
    await rootPage.getByLabel("Your password").fill(PASSWORD);
    const setupCode = await mailedCode(email, () =>
      rootPage.getByRole("button", { name: "Set up two-factor authentication" }).click(),
    );
    await rootPage.getByLabel("Verification code").fill(setupCode);
    await rootPage.getByText("Two-factor authentication is enabled.").waitFor();

    await ageStepUp();

    await rootPage.goto(harness.url("/team"));
    const card = rootPage.getByRole("region", { name: "Team settings" });
    const setting = card.getByLabel("Members get recovery codes when they enable two-factor authentication");
    await setting.click();
    const prompt = card.getByRole("form", {
      name: new RegExp(describeError("STEP_UP_REQUIRED").slice(0, 20)),
    });
    await prompt.waitFor();
    await prompt.getByTestId("step-up-action").getByText("Change the team settings").waitFor();
    // Refused: the box shows the stored value until the change goes through.
    await expect.poll(() => setting.isChecked()).toBe(false);
    const code = await mailedCode(email, () =>
      prompt.getByRole("button", { name: "Email me a code" }).click(),
    );
    await prompt.getByText("We emailed you a 6-digit code.").waitFor();
    await prompt.getByLabel("Confirmation code").fill(code);
    await prompt.waitFor({ state: "detached" });
    // The refused change is retried after the code: the box turns on once it is stored.
    await card.locator('input[type="checkbox"]:checked').waitFor();
    await rootPage.reload();
    await expect(
      rootPage
        .getByLabel("Members get recovery codes when they enable two-factor authentication")
        .isChecked(),
    ).resolves.toBe(true);
    await rootPage.context().close();
  });

  it("Step-up in the member portal: an Administrator's Disable waits in the row for a code, then goes through", async () => {
    const rootPage = await harness.rootPage("root.stepup.portal@example.com");
    const memberEmail = "member.stepup.portal@example.com";
    const memberPage = await harness.memberPage(rootPage, memberEmail);
    await memberPage.context().close();
    const admin = totpUser("admin.stepup.portal@example.com");
    const adminPage = await harness.memberPage(rootPage, admin.email, ["Administrator"]);
    // The setup confirmation is the session's last code.
    await adminPage.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await startTotpSetup(adminPage, admin);
    await confirmTotpSetup(adminPage, admin);

    await ageStepUp();

    await adminPage.goto(harness.url("/member/team"));
    const row = adminPage.locator(`tr[data-member="${memberEmail}"]`);
    await row.getByRole("button", { name: "Disable" }).click();
    const prompt = row.getByRole("form", {
      name: new RegExp(describeError("STEP_UP_REQUIRED").slice(0, 20)),
    });
    await prompt.waitFor();
    await prompt.getByTestId("step-up-action").getByText(`Make ${memberEmail} disabled`).waitFor();
    // Refused: nothing changed yet.
    await row.getByText("active", { exact: true }).waitFor();
    await saveScreenshot(adminPage, "member-team-step-up");

    await enterTotpCode(adminPage, admin, "Confirmation code");
    await adminPage.getByText(`${memberEmail} is now disabled.`).waitFor();
    await row.getByText("disabled", { exact: true }).waitFor();
    expect(await row.getByRole("form").count()).toBe(0);
    await Promise.all([adminPage, rootPage].map((open) => open.context().close()));
  });
});
