import { describe, expect, it } from "vitest";
import { PASSWORD_HASH_COST } from "./crypto/passwords.js";
import { users } from "./db/schema/index.js";
import { cpuTimeOfRefusal, median } from "./test/cpu-time.js";
import {
  type ApiResponse,
  call,
  createMember,
  createRoot,
  enableTotp,
  INITIAL_PASSWORD,
  PASSWORD,
  totpNow,
  useTestApp,
} from "./test/harness.js";

// S6 measures the argon2 work itself: the production cost.
const context = useTestApp({ passwordHashCost: PASSWORD_HASH_COST });

const WRONG_PASSWORD = "definitely not the password";

type Root = Awaited<ReturnType<typeof createRoot>>;

function tokenIn(text: string): string {
  const token = /token=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  if (!token) throw new Error(`no token in ${text}`);
  return token;
}

async function rootLogin(email: string, password = PASSWORD) {
  return call(context, "POST", "/api/auth/root/login", { body: { email, password } });
}

async function memberLogin(root: Root, email: string, password = PASSWORD) {
  return call(context, "POST", "/api/auth/member/login", {
    body: { accountId: root.accountId, email, password },
  });
}

/** §6.2: the inviter's initial password, and the member's own (PASSWORD) from then on. */
function activate(token: string) {
  return call(context, "POST", "/api/auth/member/activate", {
    body: { token, initialPassword: INITIAL_PASSWORD, newPassword: PASSWORD },
  });
}

function verifyEmail(token: string, password = PASSWORD) {
  return call(context, "POST", "/api/auth/root/verify-email", { body: { token, password } });
}

async function signUp(email: string, password = PASSWORD) {
  return call(context, "POST", "/api/auth/root/signup", { body: { email, password } });
}

function expectRefusal(response: ApiResponse, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.body.error.code).toBe(code);
  expect(response.headers.get("set-cookie")).toBeNull();
}

describe("S6 sign-in answers alike for an unknown email and a wrong password", () => {
  it("S6 root sign-in: the same status and body for an unknown email and a wrong password", async () => {
    const root = await createRoot(context);
    const unknown = await rootLogin("nobody-here@example.com", WRONG_PASSWORD);
    const wrong = await rootLogin(root.email, WRONG_PASSWORD);
    expectRefusal(unknown, 401, "INVALID_CREDENTIALS");
    expect(wrong.status).toBe(unknown.status);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.headers.get("set-cookie")).toBeNull();
  });

  it("S6 member sign-in: the same status and body for an unknown email, a wrong password and an unknown account", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const unknown = await memberLogin(root, "nobody-here@example.com", WRONG_PASSWORD);
    const wrong = await memberLogin(root, member.email, WRONG_PASSWORD);
    const otherAccount = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: "acc_0000000000000000000000", email: member.email, password: PASSWORD },
    });
    expectRefusal(unknown, 401, "INVALID_CREDENTIALS");
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.status).toBe(401);
    expect(otherAccount.body).toEqual(unknown.body);
    expect(otherAccount.status).toBe(401);
  });

  it("S6 a member's credentials do not open the root sign-in, and a root's do not open the member sign-in", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    expectRefusal(await rootLogin(member.email), 401, "INVALID_CREDENTIALS");
    expectRefusal(await memberLogin(root, root.email), 401, "INVALID_CREDENTIALS");
  });

  it.each<["root" | "member"]>([["root"], ["member"]])(
    "S6 %s sign-in: an unknown email and a wrong password take about the same work (CPU time, argon2 included)",
    async (kind) => {
      const root = await createRoot(context);
      const member = kind === "member" ? await createMember(context, root) : null;
      const login = (email: string) =>
        kind === "root" ? rootLogin(email, WRONG_PASSWORD) : memberLogin(root, email, WRONG_PASSWORD);
      const knownEmail = member?.email ?? root.email;
      await cpuTimeOfRefusal(() => login("warm-up@example.com"));
      const unknownTimes: number[] = [];
      const wrongTimes: number[] = [];
      // Interleaved, and under the per-account limit of 10 failures for the known address.
      for (let attempt = 0; attempt < 9; attempt++) {
        unknownTimes.push(await cpuTimeOfRefusal(() => login(`unknown-${attempt}@example.com`)));
        wrongTimes.push(await cpuTimeOfRefusal(() => login(knownEmail)));
      }
      const ratio = median(unknownTimes) / median(wrongTimes);
      expect(ratio).toBeGreaterThan(0.67);
      expect(ratio).toBeLessThan(1.5);
    },
  );
});

describe("S6 root users sign in only after verifying the email", () => {
  it("S6 sign-up answers 202 with the same body for a new, a taken unverified and a taken verified address", async () => {
    const root = await createRoot(context, "taken@example.com");
    const fresh = await signUp("fresh@example.com");
    const pending = await signUp("fresh@example.com", "another password entirely");
    const taken = await signUp("taken@example.com", "another password entirely");
    for (const response of [fresh, pending, taken]) {
      expect(response.status).toBe(202);
      expect(response.body).toEqual(fresh.body);
      expect(response.headers.get("set-cookie")).toBeNull();
    }
    const note = await context.smtp.waitFor("taken@example.com", /Someone tried to sign up/);
    expect(note.text).not.toMatch(/token=/);
    expect(
      context.smtp.received.filter((mail) => mail.to === "taken@example.com" && /Verify/.test(mail.subject)),
    ).toHaveLength(1);
    // The taken account keeps its password and its team.
    expect((await rootLogin(root.email)).body.status).toBe("authenticated");
    expectRefusal(await rootLogin(root.email, "another password entirely"), 401, "INVALID_CREDENTIALS");
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).body.accountId).toBe(
      root.accountId,
    );
  });

  it("S6 a fresh sign-up receives the verification link, not the someone-tried note", async () => {
    await signUp("brand-new@example.com");
    const mail = await context.smtp.waitFor("brand-new@example.com", /Verify/);
    expect(mail.text).toMatch(/\/verify-email\?token=/);
    expect(context.smtp.received.some((received) => /Someone tried/.test(received.subject))).toBe(false);
  });

  it("S6 the verification token works once: the second use → 400 INVALID_TOKEN", async () => {
    await signUp("once@example.com");
    const token = tokenIn((await context.smtp.waitFor("once@example.com", /Verify/)).text);
    expect((await verifyEmail(token)).status).toBe(200);
    const again = await verifyEmail(token);
    expectRefusal(again, 400, "INVALID_TOKEN");
    expect((await rootLogin("once@example.com")).body.status).toBe("authenticated");
  });

  it("S6 the verification token is valid for 24 hours: just before it works, at 24 h → 400 INVALID_TOKEN", async () => {
    await signUp("late@example.com");
    await signUp("early@example.com");
    const late = tokenIn((await context.smtp.waitFor("late@example.com", /Verify/)).text);
    const early = tokenIn((await context.smtp.waitFor("early@example.com", /Verify/)).text);
    context.clock.advance(24 * 3600 - 1);
    expect((await verifyEmail(early)).status).toBe(200);
    context.clock.advance(1);
    expectRefusal(await verifyEmail(late), 400, "INVALID_TOKEN");
    expectRefusal(await rootLogin("late@example.com"), 401, "INVALID_CREDENTIALS");
  });

  it("S6 an unknown verification token → 400 INVALID_TOKEN", async () => {
    expectRefusal(await verifyEmail("A".repeat(43)), 400, "INVALID_TOKEN");
  });
});

describe("member activation link: single use, 7 days", () => {
  async function invited(root: Root) {
    const member = await createMember(context, root, { activate: false });
    const token = tokenIn((await context.smtp.waitFor(member.email, /invited/)).text);
    return { ...member, token };
  }

  it("S6 the activation token works once: the second use → 400 INVALID_TOKEN", async () => {
    const root = await createRoot(context);
    const member = await invited(root);
    const first = await activate(member.token);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accountId: root.accountId, email: member.email });
    expectRefusal(await activate(member.token), 400, "INVALID_TOKEN");
    expect((await memberLogin(root, member.email)).body.status).toBe("authenticated");
  });

  it("S6 the activation token is valid for 7 days: just before it works, at 7 days → 400 INVALID_TOKEN, still pending", async () => {
    const root = await createRoot(context);
    const early = await invited(root);
    const late = await invited(root);
    context.clock.advance(7 * 24 * 3600 - 1);
    expect((await activate(early.token)).status).toBe(200);
    context.clock.advance(1);
    expectRefusal(await activate(late.token), 400, "INVALID_TOKEN");
    expectRefusal(await memberLogin(root, late.email, INITIAL_PASSWORD), 409, "ACCOUNT_NOT_ACTIVE");
  });

  it("S6 a verify-email token is not an activation token, nor the other way round", async () => {
    const root = await createRoot(context);
    const member = await invited(root);
    await signUp("cross@example.com");
    const verifyToken = tokenIn((await context.smtp.waitFor("cross@example.com", /Verify/)).text);
    expectRefusal(await activate(verifyToken), 400, "INVALID_TOKEN");
    expectRefusal(await verifyEmail(member.token), 400, "INVALID_TOKEN");
  });
});

describe("S3 password throttling", () => {
  it("S3 after 10 wrong passwords in 15 minutes → 429 TOO_MANY_ATTEMPTS with Retry-After, even with the right password", async () => {
    const root = await createRoot(context);
    for (let attempt = 0; attempt < 10; attempt++) {
      expectRefusal(await rootLogin(root.email, WRONG_PASSWORD), 401, "INVALID_CREDENTIALS");
      context.clock.advance(60);
    }
    const throttled = await rootLogin(root.email);
    expectRefusal(throttled, 429, "TOO_MANY_ATTEMPTS");
    const retryAfter = Number(throttled.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expectRefusal(await rootLogin(root.email, WRONG_PASSWORD), 429, "TOO_MANY_ATTEMPTS");

    context.clock.advance(retryAfter);
    expect((await rootLogin(root.email)).body.status).toBe("authenticated");
  });

  it("S3 nine wrong passwords leave the right one working; the throttle is per account", async () => {
    const root = await createRoot(context);
    const other = await createRoot(context);
    for (let attempt = 0; attempt < 9; attempt++) await rootLogin(root.email, WRONG_PASSWORD);
    expect((await rootLogin(root.email)).body.status).toBe("authenticated");
    for (let attempt = 0; attempt < 10; attempt++) await rootLogin(root.email, WRONG_PASSWORD);
    expectRefusal(await rootLogin(root.email), 429, "TOO_MANY_ATTEMPTS");
    expect((await rootLogin(other.email)).body.status).toBe("authenticated");
  });

  it("S3 member sign-in is throttled after 10 wrong passwords too", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    for (let attempt = 0; attempt < 10; attempt++) await memberLogin(root, member.email, WRONG_PASSWORD);
    const throttled = await memberLogin(root, member.email);
    expectRefusal(throttled, 429, "TOO_MANY_ATTEMPTS");
    expect(throttled.headers.get("retry-after")).toMatch(/^[1-9][0-9]*$/);
  });

  it("S3 password failures do not lock the second factor: an open challenge can still be verified", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    const login = await rootLogin(root.email);
    expect(login.body.status).toBe("two_factor_required");
    for (let attempt = 0; attempt < 10; attempt++) await rootLogin(root.email, WRONG_PASSWORD);
    expectRefusal(await rootLogin(root.email), 429, "TOO_MANY_ATTEMPTS");

    context.clock.advance(30);
    const verified = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: totpNow(context, secret) },
    });
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe("authenticated");
    expect((await call(context, "GET", "/api/me", { cookie: verified.cookie })).status).toBe(200);
  });
});

describe("S6 passwords are stored with argon2id", () => {
  it("S6 every password hash in the users table starts with $argon2id$ (OWASP parameters or stronger)", async () => {
    const root = await createRoot(context);
    await createMember(context, root);
    const rows = await context.deps.db.select({ hash: users.passwordHash }).from(users);
    expect(rows).toHaveLength(2);
    for (const { hash } of rows) {
      expect(hash.startsWith("$argon2id$")).toBe(true);
      expect(hash).not.toContain(PASSWORD);
      const params = /m=(\d+),t=(\d+),p=(\d+)/.exec(hash);
      expect(Number(params?.[1])).toBeGreaterThanOrEqual(19_456);
      expect(Number(params?.[2])).toBeGreaterThanOrEqual(2);
    }
  });
});
