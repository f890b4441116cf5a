import { generateTotpCode, totpStepAt } from "@cloud2fa/domain";
import { expect } from "vitest";
import { post, sleep } from "./api-process.js";
import type { SmtpServer } from "./smtp.js";

// Users made over HTTP on a running API process, with the real clock (the process runs its own).

export const PASSWORD = "correct horse battery staple";

export interface TotpUser {
  email: string;
  secret: string;
  confirmedStep: number;
  /** The ten codes the confirmation showed once. */
  recoveryCodes: string[];
}

/** Sign up, verify the email and sign in through `base`; returns the session cookie. */
export async function createRoot(
  base: string,
  smtp: SmtpServer,
  email: string,
  headers: Record<string, string> = {},
): Promise<string> {
  expect((await post(base, "/api/auth/root/signup", { email, password: PASSWORD }, { headers })).status).toBe(
    202,
  );
  const mail = await smtp.waitFor(email, /Verify/);
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  expect(
    (await post(base, "/api/auth/root/verify-email", { token, password: PASSWORD }, { headers })).status,
  ).toBe(200);
  const login = await post(base, "/api/auth/root/login", { email, password: PASSWORD }, { headers });
  expect(login.body?.status).toBe("authenticated");
  return login.cookie ?? "";
}

/** Through `base`: sign up, verify, enable TOTP with the real clock, sign out. Returns the secret and the step used. */
export async function createRootWithTotp(
  base: string,
  smtp: SmtpServer,
  email: string,
  headers: Record<string, string> = {},
): Promise<TotpUser> {
  const cookie = await createRoot(base, smtp, email, headers);
  const setup = await post(
    base,
    "/api/me/two-factor/setup",
    { method: "totp", password: PASSWORD },
    { cookie, headers },
  );
  expect(setup.status).toBe(200);
  const secret = setup.body?.secret ?? "";
  const confirmedAt = new Date();
  const confirmed = await post(
    base,
    "/api/me/two-factor/setup/confirm",
    { code: generateTotpCode({ secret, at: confirmedAt }) },
    { cookie, headers },
  );
  expect(confirmed.status).toBe(200);
  expect((await post(base, "/api/auth/logout", {}, { cookie, headers })).status).toBe(204);
  return {
    email,
    secret,
    confirmedStep: totpStepAt(confirmedAt),
    recoveryCodes: confirmed.body?.recoveryCodes ?? [],
  };
}

/** Through `base`: sign up, verify, enable the email factor with the mailed code, sign out. */
export async function createRootWithEmailFactor(
  base: string,
  smtp: SmtpServer,
  email: string,
  headers: Record<string, string> = {},
): Promise<void> {
  const cookie = await createRoot(base, smtp, email, headers);
  const setup = await post(
    base,
    "/api/me/two-factor/setup",
    { method: "email", password: PASSWORD },
    { cookie, headers },
  );
  expect(setup.status).toBe(200);
  const code = /(\d{6})/.exec((await smtp.waitFor(email, /Your cloud2fa code/)).text)?.[1];
  const confirmed = await post(base, "/api/me/two-factor/setup/confirm", { code }, { cookie, headers });
  expect(confirmed.status).toBe(200);
  expect((await post(base, "/api/auth/logout", {}, { cookie, headers })).status).toBe(204);
}

/** S2 refuses the confirmation's step again: wait for a later step with at least 5 s left in it. */
export async function currentCodeAfter(user: TotpUser): Promise<string> {
  for (;;) {
    const now = new Date();
    const secondsIntoStep = (now.getTime() / 1000) % 30;
    if (totpStepAt(now) > user.confirmedStep && secondsIntoStep < 25) {
      return generateTotpCode({ secret: user.secret, at: now });
    }
    await sleep(250);
  }
}

/** Six digits that no step from T−2 to T+2 of the secret produces: wrong whatever the step. */
export function wrongCodeFor(secret: string): string {
  const now = Date.now();
  const near = new Set(
    [-2, -1, 0, 1, 2].map((offset) => generateTotpCode({ secret, at: new Date(now + offset * 30_000) })),
  );
  for (let candidate = 0; ; candidate++) {
    const code = String(candidate).padStart(6, "0");
    if (!near.has(code)) return code;
  }
}
