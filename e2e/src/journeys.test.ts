import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type SmtpServer, startSmtpServer } from "../../apps/api/src/test/smtp.js";
import { freshTotpCode, launchBrowser, linkIn, saveScreenshot } from "./browser.js";
import { startServer } from "./server.js";

const PASSWORD = "correct horse battery staple";
const root = { email: `root-${Date.now()}@example.com`, secret: "", lastStep: 0 };
const member = { email: "member@example.com", secret: "", lastStep: 0 };
const admin = { email: "admin@example.com" };
const sso = { email: "sso@example.com" };

let smtp: SmtpServer;
let server: Awaited<ReturnType<typeof startServer>>;
let browser: Browser;
let rootPage: Page;

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  return context.newPage();
}

async function signInRoot(page: Page): Promise<void> {
  await page.goto(`${server.baseUrl}/signin`);
  await page.getByLabel("Email").fill(root.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signInMember(page: Page, email: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

async function invite(email: string, roles: string[]): Promise<void> {
  await rootPage.goto(`${server.baseUrl}/team`);
  await rootPage.getByText("Invite a member").click();
  await rootPage.getByLabel("Email").fill(email);
  await rootPage.getByLabel("Initial password").fill(PASSWORD);
  const wanted = roles.length > 0 ? roles : ["Project User"];
  for (const role of new Set(["Project User", ...wanted])) {
    await rootPage
      .locator("details.invite")
      .getByLabel(role, { exact: true })
      .setChecked(wanted.includes(role));
  }
  await rootPage.getByRole("button", { name: "Send invitation" }).click();
  await rootPage.getByText(`Invitation sent to ${email}.`).waitFor();
}

async function activate(email: string): Promise<Page> {
  const mail = await smtp.waitFor(email, /invited/);
  const page = await newPage();
  await page.goto(linkIn(mail.text, /http:\/\/\S+\/member\/activate\?token=\S+/));
  await page.getByText("is active").waitFor();
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Team Member Sign-in" }).waitFor();
  return page;
}

async function enableTotp(page: Page, user: { secret: string; lastStep: number }): Promise<void> {
  await page.getByLabel("Authenticator App").check();
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  user.secret = ((await page.getByTestId("manual-key").textContent()) ?? "").replace(/\s/g, "");
  expect(user.secret).toMatch(/^[A-Z2-7]{32}$/);
  return void (await page.getByLabel("Verification code").waitFor());
}

async function confirmTotp(page: Page, user: { secret: string; lastStep: number }): Promise<void> {
  const { code, step } = await freshTotpCode(user.secret, user.lastStep);
  user.lastStep = step;
  await page.getByLabel("Verification code").fill(code);
  await page.getByText("Two-factor authentication is enabled.").waitFor();
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  server = await startServer(smtp.url);
  browser = await launchBrowser();
  rootPage = await newPage();
});

afterEach(async (context) => {
  if (context.task.result?.state === "fail") await rootPage.screenshot({ path: "/tmp/e2e-failure.png" });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.close();
});

describe("browser journeys against the real server", () => {
  it("root signs up, verifies, enables the authenticator app, signs out, signs in with a code", async () => {
    await rootPage.goto(`${server.baseUrl}/signup`);
    await saveScreenshot(rootPage, "console-sign-up");
    await rootPage.getByLabel("Email").fill(root.email);
    await rootPage.getByLabel("Password").fill(PASSWORD);
    await rootPage.getByRole("button", { name: "Create account" }).click();
    await rootPage.getByText("Check your email").waitFor();

    const mail = await smtp.waitFor(root.email, /Verify/);
    await rootPage.goto(linkIn(mail.text, /http:\/\/\S+\/verify-email\?token=\S+/));
    await rootPage.getByText("Your email address is verified.").waitFor();
    await saveScreenshot(rootPage, "console-verify-email");

    await signInRoot(rootPage);
    await rootPage.getByText("Welcome to the Cloud Console").waitFor();
    await saveScreenshot(rootPage, "console-home");

    await rootPage.getByRole("navigation").getByRole("link", { name: "Security" }).click();
    await rootPage.getByRole("heading", { name: "Two-Factor Authentication" }).waitFor();
    await saveScreenshot(rootPage, "console-security-choose-method");
    await enableTotp(rootPage, root);
    await saveScreenshot(rootPage, "console-security-qr-setup");
    await confirmTotp(rootPage, root);
    await saveScreenshot(rootPage, "console-security-enabled");
    await rootPage.getByRole("link", { name: "Back to the Cloud Console" }).click();
    await rootPage.getByText("Welcome to the Cloud Console").waitFor();

    await signOut(rootPage);
    await signInRoot(rootPage);
    await rootPage.getByText("Enter the 6-digit code shown in your authenticator app.").waitFor();
    await saveScreenshot(rootPage, "console-sign-in-code");
    const { code, step } = await freshTotpCode(root.secret, root.lastStep);
    root.lastStep = step;
    await rootPage.getByLabel("Verification code").fill(code);
    await rootPage.getByText("Welcome to the Cloud Console").waitFor();
    await expect(rootPage.getByTestId("two-factor-status").textContent()).resolves.toContain(
      "Authenticator App",
    );
    const stored = await rootPage.evaluate(
      "JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })",
    );
    expect(stored).toBe("{}{}");
  });

  it("root invites a member, who activates, signs in, enables 2FA and cannot remove it; an administrator cannot remove it either", async () => {
    await invite(member.email, []);
    await invite(admin.email, ["Administrator"]);
    await saveScreenshot(rootPage, "console-team");

    const page = await activate(member.email);
    await saveScreenshot(page, "member-sign-in");
    await signInMember(page, member.email);
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await enableTotp(page, member);
    await confirmTotp(page, member);
    await page.reload();
    await page
      .getByText(
        "Two-factor authentication is already configured. Only the root user can remove it — contact your root user.",
      )
      .waitFor();
    expect(await page.getByRole("button", { name: "Remove two-factor authentication" }).count()).toBe(0);
    await saveScreenshot(page, "member-settings-enabled");
    await page.context().close();

    const adminPage = await activate(admin.email);
    await signInMember(adminPage, admin.email);
    await adminPage.getByText(`Welcome, ${admin.email}`).waitFor();
    await adminPage.getByRole("navigation").getByRole("link", { name: "Team" }).click();
    const row = adminPage.locator(`tr[data-member="${member.email}"]`);
    await expect(row.getByRole("button", { name: "Remove 2FA" }).isDisabled()).resolves.toBe(true);
    await row.getByText("Only the root user can remove a member's two-factor authentication.").waitFor();
    await saveScreenshot(adminPage, "member-team-administrator");
    await adminPage.context().close();
  });

  it("root removes the member's 2FA from the Team page; the member signs in without a code", async () => {
    await rootPage.goto(`${server.baseUrl}/team`);
    const row = rootPage.locator(`tr[data-member="${member.email}"]`);
    await row.getByRole("button", { name: "Remove 2FA" }).click();
    await rootPage
      .getByRole("alertdialog")
      .getByText(`Remove two-factor authentication of ${member.email}?`)
      .waitFor();
    await saveScreenshot(rootPage, "console-team-remove-2fa-confirm");
    await rootPage.getByRole("button", { name: `Remove 2FA of ${member.email}` }).click();
    await rootPage.getByText(`Two-factor authentication of ${member.email} removed.`).waitFor();
    await rootPage.getByRole("navigation").getByRole("link", { name: "Home" }).click();

    const page = await newPage();
    await page.goto(`${server.baseUrl}/member/`);
    await page.getByLabel("Account ID").fill(
      await rootPage
        .getByTestId("account-id")
        .textContent()
        .then((id) => id ?? ""),
    );
    await signInMember(page, member.email);
    await page.getByText(`Welcome, ${member.email}`).waitFor();
    await page.context().close();
  });

  it("an SSO member is told why setup is unavailable", async () => {
    await invite(sso.email, []);
    const row = rootPage.locator(`tr[data-member="${sso.email}"]`);
    await row.getByRole("button", { name: "Set SSO" }).click();
    await rootPage.getByText(`SSO flag of ${sso.email} changed.`).waitFor();

    const page = await activate(sso.email);
    await signInMember(page, sso.email);
    await page.getByText(`Welcome, ${sso.email}`).waitFor();
    await page.getByRole("navigation").getByRole("link", { name: "Settings" }).click();
    await expect(page.getByTestId("setup-unavailable").textContent()).resolves.toContain("SSO account");
    await saveScreenshot(page, "member-settings-sso");
    await page.context().close();
  });

  it("root removes the app with a current code, enables email 2FA and signs in with the mailed code", async () => {
    await rootPage.goto(`${server.baseUrl}/settings/security`);
    const removal = await freshTotpCode(root.secret, root.lastStep);
    root.lastStep = removal.step;
    await rootPage.getByLabel("Current code").fill(removal.code);
    await rootPage.getByRole("button", { name: "Remove two-factor authentication" }).click();
    await rootPage.getByLabel("Email Message").waitFor();

    smtp.clear();
    await rootPage.getByLabel("Email Message").check();
    await rootPage.getByLabel("Your password").fill(PASSWORD);
    await rootPage.getByRole("button", { name: "Set up two-factor authentication" }).click();
    const setupMail = await smtp.waitFor(root.email, /code/);
    await rootPage.getByLabel("Verification code").fill(linkIn(setupMail.subject, /\d{6}/));
    await rootPage.getByText("Two-factor authentication is enabled.").waitFor();

    await rootPage.getByRole("link", { name: "Back to the Cloud Console" }).click();
    await signOut(rootPage);
    smtp.clear();
    // "Test it right away": a challenge's first mail is not a resend, so no wait after the setup mail (S3).
    await signInRoot(rootPage);
    await rootPage.getByText("We emailed a 6-digit code").waitFor();
    await rootPage.getByRole("button", { name: /Resend code in/ }).waitFor();
    await saveScreenshot(rootPage, "console-sign-in-email-code");
    const signInMail = await smtp.waitFor(root.email, /code/);
    await rootPage.getByLabel("Verification code").fill(linkIn(signInMail.subject, /\d{6}/));
    await rootPage.getByText("Welcome to the Cloud Console").waitFor();
    await expect(rootPage.getByTestId("two-factor-status").textContent()).resolves.toContain("Email Message");

    await rootPage.goto(`${server.baseUrl}/audit`);
    await rootPage.getByText("two_factor.enabled").first().waitFor();
    await saveScreenshot(rootPage, "console-audit");
  });
});
