import { generateTotpCode } from "@cloud2fa/domain";
import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
import {
  confirmTotpSetup,
  signInMember,
  signOut,
  startTotpSetup,
  type TotpUser,
  totpUser,
  useHarness,
} from "./harness.js";

// Hard cap (issue 5): nobody types 99 codes through S3's 15-minute locks in a test, so the streak is
// set to 99 in the stopped server's embedded database; the 100th wrong code is typed in the browser.
const harness = useHarness();

/** Stops the server, sets the user's streak to 99 in DATA_DIR's database, starts it again. */
async function seedStreakOf99(email: string, kind: "root" | "member") {
  await harness.server.restart(async (dataDir) => {
    const db = await PGlite.create(`file://${dataDir}/pgdata`);
    try {
      const updated = await db.query(
        `update two_factors set failed_code_streak = 99
         where user_id = (select id from users where email = $1 and kind = $2)`,
        [email, kind],
      );
      expect(updated.affectedRows).toBe(1);
    } finally {
      await db.close();
    }
  });
}

/** A code the server accepts for none of the steps T−1, T, T+1. */
function wrongCode(user: TotpUser): string {
  const now = Date.now();
  const valid = new Set(
    [-1, 0, 1].map((offset) =>
      generateTotpCode({ secret: user.secret, at: new Date(now + offset * 30_000) }),
    ),
  );
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!valid.has(code)) return code;
  }
}

describe("hard cap journeys", () => {
  it("hard cap: a member's 100th wrong code locks 2FA; the Team page shows Locked; the root user's Remove 2FA unlocks it", async () => {
    const rootPage = await harness.rootPage("root.hardcap@example.com");
    const member = totpUser("member.hardcap@example.com");
    const page = await harness.memberPage(rootPage, member.email);
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await startTotpSetup(page, member);
    await confirmTotpSetup(page, member);
    await signOut(page);

    await seedStreakOf99(member.email, "member");

    await signInMember(page, member.email);
    await page
      .getByText("Open your authenticator app and enter the 6-digit code it shows for Cloud Console.")
      .waitFor();
    await page.getByLabel("Verification code").fill(wrongCode(member));
    const locked = page.getByRole("alert");
    await locked.getByText("Two-factor authentication is locked after 100 wrong codes in a row.").waitFor();
    await expect(locked.textContent()).resolves.toContain("Ask the root user of your team to remove it");
    await saveScreenshot(page, "member-sign-in-locked");
    const notice = await harness.smtp.waitFor(
      member.email,
      /Two-factor authentication locked for your account/,
    );
    expect(notice.text).toContain("100 wrong two-factor codes in a row");
    await harness.smtp.waitFor(
      "root.hardcap@example.com",
      /Two-factor authentication locked for member\.hardcap/,
    );

    // The next sign-in says so at the password step: no code step, nothing to type.
    await page.reload();
    await signInMember(page, member.email);
    const atPassword = page.getByTestId("locked-hint");
    await atPassword.getByText("Ask the root user of your team to remove it", { exact: false }).waitFor();
    await expect(page.getByLabel("Verification code").count()).resolves.toBe(0);

    // The root user's session survived the restart.
    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${member.email}"]`);
    await row.getByText("Locked", { exact: true }).waitFor();
    await row.getByText("Remove 2FA (root user) unlocks it.", { exact: false }).waitFor();
    await saveScreenshot(rootPage, "console-team-2fa-locked");
    await row.getByRole("button", { name: "Remove 2FA" }).click();
    await rootPage.getByRole("button", { name: `Remove 2FA of ${member.email}` }).click();
    await rootPage.getByText(`Two-factor authentication of ${member.email} removed.`).waitFor();
    await row.getByText("Off").waitFor();

    await page.reload();
    await signInMember(page, member.email);
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await expect(page.getByTestId("two-factor-status").textContent()).resolves.toContain("Not enabled");
    await Promise.all([page, rootPage].map((open) => open.context().close()));
  }, 150_000);

  it("hard cap: a root user's 100th wrong code locks 2FA; a recovery code signs in and unlocks it", async () => {
    const root = totpUser("root.recovers@example.com");
    const page = await harness.rootPage(root.email);
    await page.goto(harness.url("/settings/security"));
    await startTotpSetup(page, root);
    await confirmTotpSetup(page, root);
    const panel = page.getByTestId("recovery-codes");
    const codes = (await panel.locator("li code").allTextContents()).map((code) => code.trim());
    await panel.getByRole("button", { name: "I have saved them" }).click();
    await page.getByRole("link", { name: "Back to the Cloud Console" }).click();
    await signOut(page);

    await seedStreakOf99(root.email, "root");

    await harness.signInRoot(page, root.email);
    await page
      .getByText("Open your authenticator app and enter the 6-digit code it shows for Cloud Console.")
      .waitFor();
    await page.getByLabel("Verification code").fill(wrongCode(root));
    const locked = page.getByRole("alert");
    await locked.getByText("Two-factor authentication is locked after 100 wrong codes in a row.").waitFor();
    await expect(locked.textContent()).resolves.toContain("Use a recovery code");
    await saveScreenshot(page, "console-sign-in-locked");
    await harness.smtp.waitFor(root.email, /Two-factor authentication locked for your account/);

    // A new sign-in shows it locked at once, with the way out: a recovery code.
    await page.reload();
    await harness.signInRoot(page, root.email);
    await page.getByText("No code was sent: two-factor authentication is locked.").waitFor();
    await page.getByTestId("locked-hint").getByText("Use a recovery code", { exact: false }).waitFor();
    await page.getByRole("button", { name: "Use a recovery code" }).click();
    await page.getByLabel("Recovery code").fill(codes[0] ?? "");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByText("Welcome to the Cloud Console").waitFor();
    const status = await page.getByTestId("two-factor-status").textContent();
    expect(status).toContain("Authenticator App");
    expect(status).not.toContain("Locked");
    await page.context().close();
  }, 150_000);
});
