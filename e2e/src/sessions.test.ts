import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
import { useHarness } from "./harness.js";

const harness = useHarness();

describe.concurrent("§6.5 sessions journeys", () => {
  it("§6.5 the same root user in two browsers: the first lists both and ends the other, which is then signed out", async () => {
    const email = "root.sessions@example.com";
    const first = await harness.rootPage(email);
    const second = await harness.newPage();
    await harness.signInRoot(second, email);
    await second.getByText("Welcome to the Cloud Console").waitFor();

    await first.goto(harness.url("/settings/security"));
    await first.getByRole("heading", { name: "Where you're signed in" }).waitFor();
    const sessions = first.locator(".sessions li[data-session]");
    await expect.poll(() => sessions.count(), { timeout: 10_000 }).toBe(2);
    const current = first.locator(".sessions li.current");
    await current.getByText("This device").waitFor();
    await expect(current.getByRole("button", { name: /^Sign out/ }).count()).resolves.toBe(0);
    const other = first.locator(".sessions li[data-session]:not(.current)");
    await expect(other.textContent()).resolves.toMatch(/on Linux/);
    await first.locator(".sessions-card").scrollIntoViewIfNeeded();
    await saveScreenshot(first, "console-security-sessions");

    await other.getByRole("button", { name: /^Sign out/ }).click();
    await first
      .getByRole("status")
      .getByText(/^Signed out of /)
      .waitFor();
    await expect.poll(() => sessions.count(), { timeout: 10_000 }).toBe(1);

    // The other browser is signed out: its next page load asks it to sign in.
    await second.reload();
    await second.getByRole("button", { name: "Sign in" }).waitFor();
    await expect(second.getByText("Welcome to the Cloud Console").count()).resolves.toBe(0);
    // This one still works.
    await first.reload();
    await first.getByRole("heading", { name: "Where you're signed in" }).waitFor();
    await Promise.all([first, second].map((open) => open.context().close()));
  });

  it("§6.5 the root user signs a member out everywhere from the Team page, after a confirmation", async () => {
    const rootPage = await harness.rootPage("root.sign-out-member@example.com");
    const email = "member.signed-out@example.com";
    const memberPage = await harness.memberPage(rootPage, email);

    await memberPage.getByRole("link", { name: "Settings" }).first().click();
    await memberPage.getByRole("heading", { name: "Where you're signed in" }).waitFor();
    await memberPage.locator(".sessions li.current").getByText("This device").waitFor();

    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${email}"]`);
    await row.getByRole("button", { name: "Sign out everywhere" }).click();
    await rootPage.getByRole("alertdialog").getByText(`Sign ${email} out everywhere?`).waitFor();
    await rootPage.getByRole("button", { name: `Sign out ${email} everywhere` }).click();
    await rootPage.getByText(`${email} is signed out everywhere.`).waitFor();
    await harness.smtp.waitFor(email, /signed out/);

    await memberPage.reload();
    await memberPage.getByRole("heading", { name: "Team Member Sign-in" }).waitFor();
    await Promise.all([memberPage, rootPage].map((open) => open.context().close()));
  });
});
