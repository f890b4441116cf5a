import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PASSWORD, useHarness } from "./harness.js";

// Issue 13 item 9: the invite form re-sent the previous invitation's roles. Two invitations in a row
// on one Team page, without reloading it, as a person sends them.

const harness = useHarness();

/** Fills the open invite form, ticks exactly `roles` (by name) and sends it. */
async function sendInvitation(page: Page, email: string, roles: string[]) {
  const form = page.locator("details.invite");
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Initial password").fill(PASSWORD);
  for (const box of await form.getByRole("checkbox").all()) {
    const name = ((await box.locator("xpath=..").textContent()) ?? "").trim();
    await box.setChecked(roles.includes(name));
  }
  await form.getByRole("button", { name: "Send invitation" }).click();
  await page.getByText(`Invitation sent to ${email}.`).waitFor();
}

describe("Invite form journeys", () => {
  it("The invite form re-sent the previous invitation's roles: an Administrator, then only Project User for the next person, who is only a Project User (Team page and API)", async () => {
    const rootPage = await harness.rootPage("root.invite.twice@example.com");
    await rootPage.goto(harness.url("/team"));
    await rootPage.getByText("Invite a member").click();
    const form = rootPage.locator("details.invite");
    const send = form.getByRole("button", { name: "Send invitation" });

    await sendInvitation(rootPage, "first.admin@example.com", ["Administrator"]);
    await sendInvitation(rootPage, "second.user@example.com", ["Project User"]);

    const first = rootPage.locator('tr[data-member="first.admin@example.com"]');
    const second = rootPage.locator('tr[data-member="second.user@example.com"]');
    await first.locator("td", { hasText: /^Administrator$/ }).waitFor();
    await second.locator("td", { hasText: /^Project User$/ }).waitFor();
    const listed = await rootPage.context().request.get(harness.url("/api/team/members"));
    expect(listed.status()).toBe(200);
    const members = (await listed.json()).members as { email: string; roles: string[] }[];
    expect(members.map(({ email, roles }) => ({ email, roles }))).toEqual(
      expect.arrayContaining([
        { email: "first.admin@example.com", roles: ["administrator"] },
        { email: "second.user@example.com", roles: ["project_user"] },
      ]),
    );

    // The form starts over with Project User ticked; with no role ticked it cannot be sent.
    expect(await form.getByLabel("Project User", { exact: true }).isChecked()).toBe(true);
    expect(await form.getByLabel("Administrator", { exact: true }).isChecked()).toBe(false);
    await form.getByLabel("Project User", { exact: true }).uncheck();
    expect(await send.isDisabled()).toBe(true);
    await rootPage.context().close();
  });
});
