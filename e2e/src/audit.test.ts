import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { saveScreenshot } from "./browser.js";
import { useHarness } from "./harness.js";

const harness = useHarness();

describe("Audit trail journeys", () => {
  it("an Auditor filters the audit trail by action in the member portal and downloads it as CSV", async () => {
    const rootPage = await harness.rootPage("root.audit@example.com");
    const other = "member.audited@example.com";
    const auditor = "auditor.audit@example.com";
    await harness.invite(rootPage, other);
    const page = await harness.memberPage(rootPage, auditor, ["Auditor"]);

    await page.getByRole("navigation").getByRole("link", { name: "Audit" }).click();
    await page.getByRole("heading", { name: "Audit events" }).waitFor();
    await page.locator(`tr[data-event="member.activated"]`).first().waitFor();

    // Keyboard only: the filters are labelled form fields, applied with Enter.
    const action = page.getByLabel("Action");
    await action.focus();
    await action.selectOption({ label: "Member invited" });
    await expect(page.getByLabel("Member").locator("option", { hasText: other }).count()).resolves.toBe(1);
    await page.getByLabel("From").focus();
    await page.keyboard.press("Enter");
    const rows = page.locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    await expect(page.locator("tbody code").allTextContents()).resolves.toEqual([
      "member.invited",
      "member.invited",
    ]);
    await expect(page.locator("tbody").textContent()).resolves.toContain(other);
    await saveScreenshot(page, "member-audit-filtered");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^audit-events-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = await readFile(await download.path(), "utf8");
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(
      '"id","at","type","actor_id","actor_kind","actor_email","subject_id","subject_kind","subject_email","client_address","user_agent","detail"',
    );
    expect(lines.at(-1)).toBe("");
    const events = lines.slice(1, -1);
    expect(events).toHaveLength(2);
    for (const line of events) expect(line.split(",")[2]).toBe('"member.invited"');
    expect(events[0]).toContain(auditor);
    expect(events[1]).toContain(other);
    expect(csv).toContain("root.audit@example.com");
    await page.context().close();
    await rootPage.context().close();
  });
});
