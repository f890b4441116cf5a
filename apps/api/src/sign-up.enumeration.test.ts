import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { PASSWORD_HASH_COST } from "./crypto/passwords.js";
import { queryRows } from "./db/connect.js";
import { cpuTimeOfRefusal, median } from "./test/cpu-time.js";
import { type ApiResponse, call, createRoot, PASSWORD, useTestApp } from "./test/harness.js";

// S6 measures the argon2 work itself: the production cost.
const context = useTestApp({ settings: { trustProxyHops: 1 }, passwordHashCost: PASSWORD_HASH_COST });

const CLIENT = "198.51.100.23";
const PROBE_PASSWORD = "the prober chose this password";
const WRONG_PASSWORD = "definitely not the password";

const signUp = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/signup", {
    body: { email, password },
    headers: { "x-forwarded-for": CLIENT },
  });
const logIn = (email: string, password: string) =>
  call(context, "POST", "/api/auth/root/login", {
    body: { email, password },
    headers: { "x-forwarded-for": CLIENT },
  });

const verificationMails = (email: string) =>
  context.smtp.received.filter((mail) => mail.to === email && /Verify/.test(mail.subject));

function tokenIn(text: string): string {
  const token = /token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no token in ${text}`);
  return token;
}

async function throttleCount(key: string): Promise<number> {
  const [row] = await queryRows<{ count: number }>(
    context.database.db,
    sql`select count from password_throttles where key = ${key}`,
  );
  return row?.count ?? 0;
}

/** What a prober sees of an answer: status, body, headers that could differ, cookie. */
function seen(response: ApiResponse) {
  return {
    status: response.status,
    body: response.body,
    retryAfter: response.headers.get("retry-after"),
    cookie: response.cookie,
  };
}

describe("S6 sign-up plus sign-in revealed taken addresses: an unverified account's right password answered 403 EMAIL_NOT_VERIFIED, a verified one's 401", () => {
  it("S6 sign-up plus sign-in reveals taken addresses: signing up then in with one's own password answers alike for a fresh and a taken (verified) address", async () => {
    await createRoot(context, "taken@example.com");
    for (const email of ["fresh@example.com", "taken@example.com"]) {
      expect((await signUp(email, PROBE_PASSWORD)).status).toBe(202);
    }
    const fresh = await logIn("fresh@example.com", PROBE_PASSWORD);
    const taken = await logIn("taken@example.com", PROBE_PASSWORD);
    expect(fresh.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(seen(fresh)).toEqual(seen(taken));
    expect(seen(fresh)).toEqual(seen(await logIn("nobody@example.com", PROBE_PASSWORD)));
  });

  it("S6 sign-up plus sign-in reveals taken addresses: before verification the right password answers exactly like a wrong one (401 INVALID_CREDENTIALS, no cookie)", async () => {
    await signUp("pending@example.com", PASSWORD);
    const right = await logIn("pending@example.com", PASSWORD);
    const wrong = await logIn("pending@example.com", WRONG_PASSWORD);
    expect(right.status).toBe(401);
    expect(right.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(seen(right)).toEqual(seen(wrong));
    expect(right.headers.get("set-cookie")).toBeNull();
  });

  it("S6, S3 the right password before verification is charged like a wrong one, on the account and the client address", async () => {
    await signUp("pending@example.com", PASSWORD);
    await logIn("pending@example.com", PASSWORD);
    expect(await throttleCount("account:root:pending@example.com")).toBe(1);
    expect(await throttleCount(`address:${CLIENT}`)).toBe(1);
    await logIn("pending@example.com", WRONG_PASSWORD);
    expect(await throttleCount("account:root:pending@example.com")).toBe(2);
    expect(await throttleCount(`address:${CLIENT}`)).toBe(2);
  });

  it("S6 the right password before verification mails the link again, which verifies with that password; a wrong one mails nothing", async () => {
    await signUp("pending@example.com", PASSWORD);
    expect(verificationMails("pending@example.com")).toHaveLength(1);
    await logIn("pending@example.com", WRONG_PASSWORD);
    expect(verificationMails("pending@example.com")).toHaveLength(1);
    await logIn("pending@example.com", PASSWORD);
    const [, again] = verificationMails("pending@example.com");
    expect(again?.text).toMatch(/\/verify-email\?token=/);
    const verified = await call(context, "POST", "/api/auth/root/verify-email", {
      body: { token: tokenIn(again?.text ?? ""), password: PASSWORD },
    });
    expect(verified.status).toBe(200);
    expect((await logIn("pending@example.com", PASSWORD)).body.status).toBe("authenticated");
  });

  it("S6 the links mailed again count on the sign-up mail throttle (3 an hour per address, the sign-up's included): beyond it nothing is mailed and the answer is the same", async () => {
    await signUp("pending@example.com", PASSWORD);
    const answers = [];
    for (let attempt = 0; attempt < 4; attempt++)
      answers.push(seen(await logIn("pending@example.com", PASSWORD)));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(verificationMails("pending@example.com")).toHaveLength(3);
    const refusedSignUp = await signUp("pending@example.com", PASSWORD);
    expect(refusedSignUp.status).toBe(429);
    context.clock.advance(60 * 60);
    await logIn("pending@example.com", PASSWORD);
    expect(verificationMails("pending@example.com")).toHaveLength(4);
  });

  it("S6 an unverified account's right password takes about the work of a verified account's wrong one (CPU time, argon2 included)", async () => {
    const verified = await createRoot(context, "verified@example.com");
    await signUp("pending@example.com", PASSWORD);
    await cpuTimeOfRefusal(() => logIn("warm-up@example.com", WRONG_PASSWORD));
    const rightTimes: number[] = [];
    const wrongTimes: number[] = [];
    // Interleaved, and under the per-account limit of 10 failures.
    for (let attempt = 0; attempt < 9; attempt++) {
      rightTimes.push(await cpuTimeOfRefusal(() => logIn("pending@example.com", PASSWORD)));
      wrongTimes.push(await cpuTimeOfRefusal(() => logIn(verified.email, WRONG_PASSWORD)));
    }
    const ratio = median(rightTimes) / median(wrongTimes);
    expect(ratio).toBeGreaterThan(0.67);
    expect(ratio).toBeLessThan(1.5);
  });
});
