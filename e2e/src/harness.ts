import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { type SmtpServer, startSmtpServer } from "../../apps/api/src/test/smtp.js";
import { desktopViewport, freshTotpCode, launchBrowser, linkIn } from "./browser.js";
import { startServer } from "./server.js";

export const PASSWORD = "correct horse battery staple";
/** §6.2: the password an inviter chooses; the member replaces it with PASSWORD at activation. */
export const INITIAL_PASSWORD = "the inviter chose this one";

export interface TotpUser {
  email: string;
  secret: string;
  lastStep: number;
}

/** One real server, SMTP server and browser for a test file; each journey makes its own accounts in it. */
export class Harness {
  readonly pages: Page[] = [];
  running: { smtp: SmtpServer; server: Awaited<ReturnType<typeof startServer>>; browser: Browser } | null =
    null;

  private get started() {
    if (!this.running) throw new Error("the harness starts in beforeAll");
    return this.running;
  }
  get smtp(): SmtpServer {
    return this.started.smtp;
  }
  get server() {
    return this.started.server;
  }
  get browser(): Browser {
    return this.started.browser;
  }

  url(path: string): string {
    return `${this.server.baseUrl}${path}`;
  }

  async newPage(): Promise<Page> {
    const context = await this.browser.newContext({ viewport: desktopViewport });
    const page = await context.newPage();
    this.pages.push(page);
    return page;
  }

  /** A verified root user made through the API, for journeys that start after sign-up. */
  async createRootUser(email: string): Promise<void> {
    const post = (path: string, body: unknown) =>
      fetch(this.url(path), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post("/api/auth/root/signup", { email, password: PASSWORD })).status).toBe(202);
    const mail = await this.smtp.waitFor(email, /Verify/);
    const token = new URL(linkIn(mail.text, /http:\/\/\S+\/verify-email\?token=\S+/)).searchParams.get(
      "token",
    );
    expect((await post("/api/auth/root/verify-email", { token, password: PASSWORD })).status).toBe(200);
  }

  async signInRoot(page: Page, email: string): Promise<void> {
    await page.goto(this.url("/signin"));
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  /** A root user signed in on a new page, on the Cloud Console home. */
  async rootPage(email: string): Promise<Page> {
    await this.createRootUser(email);
    const page = await this.newPage();
    await this.signInRoot(page, email);
    await page.getByText("Welcome to the Cloud Console").waitFor();
    return page;
  }

  async invite(rootPage: Page, email: string, roles: string[] = []): Promise<void> {
    await rootPage.goto(this.url("/team"));
    await rootPage.getByText("Invite a member").click();
    await rootPage.getByLabel("Email").fill(email);
    await rootPage.getByLabel("Initial password").fill(INITIAL_PASSWORD);
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

  /**
   * The member opens the invitation link, types the inviter's initial password and chooses its own
   * (PASSWORD, §6.2), and lands on the Team Member Sign-in page (account ID prefilled).
   */
  async activate(email: string): Promise<Page> {
    const mail = await this.smtp.waitFor(email, /invited/);
    const page = await this.newPage();
    await page.goto(linkIn(mail.text, /http:\/\/\S+\/member\/activate\?token=\S+/));
    await fillActivation(page);
    await page.getByText("is active").waitFor();
    await page.getByRole("link", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Team Member Sign-in" }).waitFor();
    return page;
  }

  /** An invited, activated and signed-in member. */
  async memberPage(rootPage: Page, email: string, roles: string[] = []): Promise<Page> {
    await this.invite(rootPage, email, roles);
    const page = await this.activate(email);
    await signInMember(page, email);
    await page.getByText(`Welcome, ${email}`).waitFor();
    return page;
  }
}

/** The time on the clock of this file's server (moved by `advanceClock` in some journeys). */
let serverNow: () => Date = () => new Date();

export function useHarness(): Harness {
  const harness = new Harness();
  beforeAll(async () => {
    const smtp = await startSmtpServer();
    const server = await startServer(smtp.url);
    serverNow = server.now;
    harness.running = { smtp, server, browser: await launchBrowser() };
  });
  afterEach(async (context) => {
    if (context.task.result?.state !== "fail") return;
    const open = harness.pages.filter((page) => !page.isClosed());
    await Promise.all(
      open.map((page, index) => page.screenshot({ path: `/tmp/e2e-failure-${index}.png` }).catch(() => {})),
    );
  });
  afterAll(async () => {
    await harness.running?.browser.close();
    await harness.running?.server.stop();
    await harness.running?.smtp.close();
  });
  return harness;
}

/** §6.2: the activation page: the inviter's initial password, then the member's own. */
export async function fillActivation(page: Page, newPassword = PASSWORD): Promise<void> {
  await page.getByLabel("Initial password from your invitation").fill(INITIAL_PASSWORD);
  await page.getByLabel("Your new password").fill(newPassword);
  await page.getByRole("button", { name: "Activate account" }).click();
}

export async function signInMember(page: Page, email: string): Promise<void> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signOut(page: Page): Promise<void> {
  // exact: the Security and Team pages also offer "Sign out" of other sessions and "Sign out everywhere" (§6.5).
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
}

export async function accountIdOf(rootPage: Page): Promise<string> {
  return (await rootPage.getByTestId("account-id").textContent()) ?? "";
}

export async function startTotpSetup(page: Page, user: TotpUser): Promise<void> {
  await page.getByLabel("Authenticator App").check();
  await page.getByLabel("Your password").fill(PASSWORD);
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  user.secret = ((await page.getByTestId("manual-key").textContent()) ?? "").replace(/\s/g, "");
  expect(user.secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel("Verification code").waitFor();
}

export async function confirmTotpSetup(page: Page, user: TotpUser): Promise<void> {
  await enterTotpCode(page, user);
  await page.getByText("Two-factor authentication is enabled.").waitFor();
}

/** Types a code of a time step not used before by this user (S2) into the "Verification code" field. */
export async function enterTotpCode(page: Page, user: TotpUser, label = "Verification code"): Promise<void> {
  const { code, step } = await freshTotpCode(user.secret, user.lastStep, serverNow);
  user.lastStep = step;
  await page.getByLabel(label).fill(code);
}

export function totpUser(email: string): TotpUser {
  return { email, secret: "", lastStep: 0 };
}

/** After enabling 2FA: "I have saved them" when recovery codes are shown (root users), then back to the console. */
export async function leaveAfterSetup(page: Page): Promise<void> {
  const saved = page.getByRole("button", { name: "I have saved them" });
  if ((await saved.count()) > 0) await saved.click();
  await page.getByRole("link", { name: "Back to the Cloud Console" }).click();
}
