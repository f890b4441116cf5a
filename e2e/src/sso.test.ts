import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIdp, type TestIdp } from "../../apps/api/scripts/test-idp.mjs";
import { saveScreenshot } from "./browser.js";
import { accountIdOf, useHarness } from "./harness.js";

// §7: the server accepts the test provider's http:// issuer on a loopback address.
process.env.SSO_ALLOW_HTTP_LOOPBACK_ISSUER = "1";
const harness = useHarness();
let idp: TestIdp;
const client = { client_id: "cloud2fa-e2e", client_secret: "cloud2fa-e2e-secret" };

beforeAll(async () => {
  idp = await startTestIdp({
    clients: [{ ...client, redirect_uris: [harness.url("/api/auth/sso/callback")] }],
  });
});
afterAll(async () => {
  await idp?.close();
});

describe("single sign-on journey", () => {
  it("§7 the root user configures SSO against the test provider; an SSO member signs in through it, its 2FA managed by the provider; the Team page shows it as SSO", async () => {
    const rootPage = await harness.rootPage("root.sso@example.com");
    const accountId = await accountIdOf(rootPage);
    const memberEmail = "sso.member@example.com";
    await harness.invite(rootPage, memberEmail);
    const activated = await harness.activate(memberEmail);
    await activated.context().close();

    await rootPage.goto(harness.url("/team"));
    const row = rootPage.locator(`tr[data-member="${memberEmail}"]`);
    await row.getByRole("button", { name: "Set SSO" }).click();
    await rootPage.getByText(`SSO flag of ${memberEmail} changed.`).waitFor();

    const card = rootPage.locator("section", {
      has: rootPage.getByRole("heading", { name: /Single sign-on/ }),
    });
    await card.getByTestId("sso-redirect-uri").waitFor();
    expect(await card.getByTestId("sso-redirect-uri").textContent()).toBe(
      harness.url("/api/auth/sso/callback"),
    );
    expect(await card.getByTestId("sso-sign-in-url").textContent()).toBe(
      harness.url(`/member/sso/${accountId}`),
    );
    await card.getByLabel("Issuer URL").fill(idp.issuer);
    await card.getByLabel("Client ID").fill(client.client_id);
    await card.getByLabel("Client secret").fill(client.client_secret);
    await card.getByLabel("Allowed domains of members' addresses (separated by commas)").fill("example.com");
    await card.getByLabel("Single sign-on is on").check();
    await card.getByRole("button", { name: "Save single sign-on" }).click();
    await card.getByText("Single sign-on settings saved.").waitFor();
    await saveScreenshot(rootPage, "console-sso-settings");

    idp.addAccount({ email: memberEmail });
    const page = await harness.newPage();
    await page.goto(harness.url(`/member/sso/${accountId}`));
    await page.getByRole("heading", { name: "Sign in with SSO" }).waitFor();
    await saveScreenshot(page, "member-sso-sign-in");
    await page.getByRole("button", { name: "Sign in with SSO" }).click();
    await page.getByRole("heading", { name: "Test identity provider" }).waitFor();
    await page.getByLabel("Email address").fill(memberEmail);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(`Welcome, ${memberEmail}`).waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await page.getByTestId("sso-two-factor-notice").waitFor();
    expect(await page.getByRole("button", { name: "Set up two-factor authentication" }).count()).toBe(0);
    await saveScreenshot(page, "member-sso-settings");

    await rootPage.goto(harness.url("/team"));
    await rootPage.locator(`tr[data-member="${memberEmail}"]`).getByText("SSO", { exact: true }).waitFor();
    await saveScreenshot(rootPage, "console-team-sso-member");

    // A refusal comes back to the team's SSO page in words.
    const stranger = await harness.newPage();
    idp.addAccount({ email: "stranger@example.com" });
    await stranger.goto(harness.url(`/member/sso/${accountId}`));
    await stranger.getByRole("button", { name: "Sign in with SSO" }).click();
    await stranger.getByLabel("Email address").fill("stranger@example.com");
    await stranger.getByRole("button", { name: "Sign in" }).click();
    await stranger.getByText("There is no SSO member for you in this team.", { exact: false }).waitFor();
    await Promise.all([page, rootPage, stranger].map((open) => open.context().close()));
  });
});
