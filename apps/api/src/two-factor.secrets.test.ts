import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { twoFactorSetups, twoFactors } from "./db/schema/index.js";
import {
  call,
  codeFrom,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  TEST_KEY,
  type TestContext,
  totpNow,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

function startTotpSetup(ctx: TestContext, cookie: string) {
  return call(ctx, "POST", "/api/me/two-factor/setup", {
    cookie,
    body: { method: "totp", password: PASSWORD },
  });
}

function confirmSetup(ctx: TestContext, cookie: string, code: string) {
  return call(ctx, "POST", "/api/me/two-factor/setup/confirm", { cookie, body: { code } });
}

async function signInWithCode(ctx: TestContext, email: string, code: string) {
  const login = await call(ctx, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
  expect(login.body.status).toBe("two_factor_required");
  return call(ctx, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, { body: { code } });
}

function base32Decode(secret: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "")) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const bytes: number[] = [];
  for (let offset = 0; offset + 8 <= bits.length; offset += 8)
    bytes.push(Number.parseInt(bits.slice(offset, offset + 8), 2));
  return Buffer.from(bytes);
}

/** The forms a leaked secret could take: base32 (any case), hex and base64 of its bytes. */
function secretForms(secret: string): string[] {
  const bytes = base32Decode(secret);
  return [
    secret,
    secret.toLowerCase(),
    bytes.toString("hex"),
    bytes.toString("base64"),
    bytes.toString("base64url"),
  ];
}

function expectNoSecret(value: unknown, secret: string) {
  const text = JSON.stringify(value);
  for (const form of secretForms(secret)) expect(text).not.toContain(form);
}

describe("S4 TOTP secrets", () => {
  it("S4: a pending setup shows the secret, an otpauth URI with issuer and account name, and a QR data URL", async () => {
    const root = await createRoot(context);
    const started = await startTotpSetup(context, root.cookie);
    expect(started.status).toBe(200);
    const { secret, otpauthUri, qrCode } = started.body;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);

    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("issuer")).toBe("cloud2fa");
    expect(decodeURIComponent(uri.pathname)).toContain(root.email);

    expect(qrCode).toMatch(/^data:image\/(svg\+xml|png);base64,/);
    const image = Buffer.from(qrCode.slice(qrCode.indexOf(",") + 1), "base64");
    expect(image.length).toBeGreaterThan(100);
    if (qrCode.startsWith("data:image/svg+xml")) expect(image.toString("utf8")).toContain("<svg");
  });

  it("S4: after confirmation no endpoint returns the secret", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root, { roles: ["administrator"] });
    const memberCookie = member.cookie as string;
    const started = await startTotpSetup(context, memberCookie);
    const secret = started.body.secret as string;
    const confirmed = await confirmSetup(context, memberCookie, totpNow(context, secret));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.twoFactor).toMatchObject({ enabled: true, method: "totp" });

    const seen = [
      confirmed,
      await call(context, "GET", "/api/me", { cookie: memberCookie }),
      await call(context, "GET", "/api/team/members", { cookie: root.cookie }),
      await call(context, "GET", "/api/team/members", { cookie: memberCookie }),
      await call(context, "GET", "/api/team/audit-events?limit=100", { cookie: root.cookie }),
      await call(context, "GET", "/api/team/audit-events?limit=100", { cookie: memberCookie }),
      await startTotpSetup(context, memberCookie),
    ];
    for (const answer of seen.slice(0, -1)) expect(answer.status).toBe(200);
    expect(seen.at(-1)?.status).toBe(409);
    const events = seen[4]?.body.events as { type: string }[];
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["two_factor.setup_started", "two_factor.enabled"]),
    );
    for (const answer of seen) {
      expectNoSecret(answer.body, secret);
      expect(JSON.stringify(answer.body)).not.toContain("otpauth://");
      expect(JSON.stringify(answer.body)).not.toContain("data:image");
    }
    for (const mail of context.smtp.received) expectNoSecret(mail, secret);
  });

  it("S4: the secret is encrypted at rest, in the pending setup and in the enabled factor", async () => {
    const root = await createRoot(context);
    const started = await startTotpSetup(context, root.cookie);
    const secret = started.body.secret as string;
    const [pending] = await context.database.db
      .select()
      .from(twoFactorSetups)
      .where(eq(twoFactorSetups.userId, root.id));
    expect(pending?.secretCiphertext).toBeTruthy();
    expectNoSecret(pending, secret);

    expect((await confirmSetup(context, root.cookie, totpNow(context, secret))).status).toBe(200);
    const [factor] = await context.database.db
      .select()
      .from(twoFactors)
      .where(eq(twoFactors.userId, root.id));
    const ciphertext = factor?.secretCiphertext as string;
    expect(ciphertext).toBeTruthy();
    expectNoSecret(factor, secret);
    expect(ciphertext.split(".")).toContain(TEST_KEY.id);
  });

  it("S4: a ciphertext copied to another user's row does not decrypt", async () => {
    const alice = await createRoot(context);
    const aliceSecret = await enableTotp(context, alice.cookie);
    const bob = await createRoot(context);
    const bobSecret = await enableTotp(context, bob.cookie);
    const read = async (userId: string) =>
      (await context.database.db.select().from(twoFactors).where(eq(twoFactors.userId, userId)))[0]
        ?.secretCiphertext as string;
    const bobCiphertext = await read(bob.id);
    await context.database.db
      .update(twoFactors)
      .set({ secretCiphertext: await read(alice.id) })
      .where(eq(twoFactors.userId, bob.id));
    context.clock.advance(30);

    const withAliceCode = await signInWithCode(context, bob.email, totpNow(context, aliceSecret));
    expect(withAliceCode.status).toBe(400);
    expect(withAliceCode.body.error.code).toBe("INVALID_CODE");
    expect(withAliceCode.cookie).toBeUndefined();
    const withBobCode = await signInWithCode(context, bob.email, totpNow(context, bobSecret));
    expect(withBobCode.status).toBe(400);
    expect(withBobCode.body.error.code).toBe("INVALID_CODE");

    await context.database.db
      .update(twoFactors)
      .set({ secretCiphertext: bobCiphertext })
      .where(eq(twoFactors.userId, bob.id));
    expect((await signInWithCode(context, bob.email, totpNow(context, bobSecret))).status).toBe(200);
  });

  it("S4, R8: a new setup while one is pending replaces it: the old secret no longer confirms", async () => {
    const root = await createRoot(context);
    const first = (await startTotpSetup(context, root.cookie)).body.secret as string;
    const second = (await startTotpSetup(context, root.cookie)).body.secret as string;
    expect(second).not.toBe(first);

    const withOld = await confirmSetup(context, root.cookie, totpNow(context, first));
    expect(withOld.status).toBe(400);
    expect(withOld.body.error.code).toBe("INVALID_CODE");
    expect((await call(context, "GET", "/api/me", { cookie: root.cookie })).body.twoFactor.enabled).toBe(
      false,
    );
    expect((await confirmSetup(context, root.cookie, totpNow(context, second))).status).toBe(200);

    context.clock.advance(30);
    const oldSecretSignIn = await signInWithCode(context, root.email, totpNow(context, first));
    expect(oldSecretSignIn.status).toBe(400);
    expect((await signInWithCode(context, root.email, totpNow(context, second))).status).toBe(200);
  });

  it("S4, R8: a new email setup replaces a pending one: the old mailed code no longer confirms", async () => {
    const root = await createRoot(context);
    const setupCode = async () => {
      const seen = context.smtp.received.length;
      const started = await call(context, "POST", "/api/me/two-factor/setup", {
        cookie: root.cookie,
        body: { method: "email", password: PASSWORD },
      });
      expect(started.status).toBe(200);
      await context.smtp.waitFor(root.email, /code/);
      const mail = context.smtp.received.slice(seen).find((entry) => entry.to === root.email);
      if (!mail) throw new Error("no setup mail");
      return codeFrom(mail.text);
    };
    const first = await setupCode();
    context.clock.advance(60);
    const second = await setupCode();

    const withOld = await confirmSetup(context, root.cookie, first);
    expect(withOld.status).toBe(400);
    expect(withOld.body.error.code).toBe("INVALID_CODE");
    const confirmed = await confirmSetup(context, root.cookie, second);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.twoFactor).toMatchObject({ enabled: true, method: "email" });
  });
});
