import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { linkIn, saveScreenshot } from "./browser.js";
import { accountIdOf, PASSWORD, signOut, useHarness } from "./harness.js";

const harness = useHarness();

/** Every API answer the page gets, as "STATUS METHOD /path". */
function recordApiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on("response", (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith("/api/")) {
      calls.push(`${response.status()} ${response.request().method()} ${url.pathname}`);
    }
  });
  return calls;
}

describe.concurrent("Console home and the signed-out apps", () => {
  it("while signed out, neither app makes a 401 request nor asks for the team settings", async () => {
    const email = "root.quiet@example.com";
    await harness.createRootUser(email);
    const page = await harness.newPage();
    const calls = recordApiCalls(page);
    for (const path of ["/", "/team", "/settings/security", "/member/", "/member/settings", "/member/team"]) {
      await page.goto(harness.url(path));
      await page.getByRole("button", { name: "Sign in" }).waitFor();
    }
    await harness.signInRoot(page, email);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    await signOut(page);
    await page.goto(harness.url("/member/settings"));
    await page.getByRole("button", { name: "Sign in" }).waitFor();

    expect(calls.filter((call) => call.startsWith("401 "))).toEqual([]);
    expect(calls.filter((call) => call.includes("/api/team/settings"))).toEqual([]);
    expect(calls).toContain("200 GET /api/session");
    await page.context().close();
  });

  it("the console offers the team sign-in link that fills in the account ID, with copy buttons; the invitation carries it", async () => {
    const rootPage = await harness.rootPage("root.link@example.com");
    await rootPage.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    const accountId = await accountIdOf(rootPage);
    const link = rootPage.getByTestId("team-sign-in-link");
    await expect(link.getAttribute("href")).resolves.toBe(`/member/?account=${accountId}`);

    await rootPage.getByRole("button", { name: "Copy the account ID" }).click();
    await rootPage.getByText("Copied.").waitFor();
    await expect(rootPage.evaluate("navigator.clipboard.readText()")).resolves.toBe(accountId);
    await saveScreenshot(rootPage, "console-home");

    // A member opens the link: the account ID is filled in.
    const memberPage = await harness.newPage();
    await memberPage.goto(harness.url(`/member/?account=${accountId}`));
    await expect(memberPage.getByLabel("Account ID").inputValue()).resolves.toBe(accountId);

    // The invitation mail carries the same link.
    const invited = "member.link@example.com";
    await harness.invite(rootPage, invited);
    const mail = await harness.smtp.waitFor(invited, /invited/);
    expect(linkIn(mail.text, /http:\/\/\S+\/member\/\?account=\S+/)).toBe(
      harness.url(`/member/?account=${accountId}`),
    );
    expect(mail.text).not.toContain(PASSWORD);
    await Promise.all([memberPage, rootPage].map((open) => open.context().close()));
  });
});
