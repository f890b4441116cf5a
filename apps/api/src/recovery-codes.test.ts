import {
  MAX_WRONG_CODES_PER_CHALLENGE,
  MAX_WRONG_CODES_PER_USER,
  normalizeRecoveryCode,
} from "@cloud2fa/domain";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "./db/connect.js";
import {
  call,
  createMember,
  createRoot,
  openChallenge,
  PASSWORD,
  type TestContext,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

const context = useTestApp();

/** Enables TOTP and returns the secret and the confirm answer's recovery codes (if any). */
async function enable(cookie: string) {
  const started = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie,
    body: { method: "totp", password: PASSWORD },
  });
  const secret = started.body.secret as string;
  const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
    cookie,
    body: { code: totpNow(context, secret) },
  });
  expect(confirmed.status).toBe(200);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[] | undefined };
}

function recover(challengeId: string, code: string) {
  return call(context, "POST", `/api/auth/challenges/${challengeId}/recovery`, { body: { code } });
}

async function memberChallenge(accountId: string, email: string): Promise<string> {
  const login = await call(context, "POST", "/api/auth/member/login", {
    body: { accountId, email, password: PASSWORD },
  });
  expect(login.body.status).toBe("two_factor_required");
  return login.body.challengeId as string;
}

async function auditTypes(ctx: TestContext, userId: string): Promise<string[]> {
  const rows = await queryRows<{ type: string }>(
    ctx.database.db,
    sql`select type from audit_events where subject_id = ${userId} or actor_id = ${userId} order by seq`,
  );
  return rows.map((row) => row.type);
}

describe("recovery codes", () => {
  it("a root user gets ten codes once, on enabling; they are stored hashed and never returned again", async () => {
    const root = await createRoot(context);
    const { recoveryCodes } = await enable(root.cookie);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes ?? []) expect(normalizeRecoveryCode(code)).toBe(code);

    const stored = await queryRows<{ codeHash: string }>(
      context.database.db,
      sql`select code_hash as "codeHash" from recovery_codes where user_id = ${root.id}`,
    );
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(stored);
    for (const code of recoveryCodes ?? []) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace("-", ""));
    }
    const me = await call(context, "GET", "/api/me", { cookie: root.cookie });
    expect(JSON.stringify(me.body)).not.toContain(recoveryCodes?.[0]);
  });

  it("signs in once with a code (any case, dashes, spaces), keeps 2FA on, mails and audits", async () => {
    const root = await createRoot(context);
    const { recoveryCodes = [] } = await enable(root.cookie);
    const [first = "", second = ""] = recoveryCodes;
    const challengeId = await openChallenge(context, root.email);
    const signedIn = await recover(challengeId, ` ${first.toUpperCase().replace("-", " ")} `);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.status).toBe("authenticated");
    expect(signedIn.cookie).toBeDefined();
    const me = await call(context, "GET", "/api/me", { cookie: signedIn.cookie });
    expect(me.body.twoFactor.enabled).toBe(true);

    const mail = await context.smtp.waitFor(root.email, /Recovery code used/);
    expect(mail.text).toContain("9 unused recovery codes are left");
    expect(await auditTypes(context, root.id)).toContain("two_factor.recovery_code_used");

    // Single use: the same code fails on a new challenge, another one works.
    const again = await openChallenge(context, root.email);
    expect((await recover(again, first)).body.error.code).toBe("INVALID_CODE");
    expect((await recover(again, second)).status).toBe(200);
  });

  it("the challenge is consumed: its code no longer works after a recovery sign-in", async () => {
    const root = await createRoot(context);
    const { secret, recoveryCodes = [] } = await enable(root.cookie);
    context.clock.advance(30);
    const challengeId = await openChallenge(context, root.email);
    expect((await recover(challengeId, recoveryCodes[0] ?? "")).status).toBe(200);
    const verify = await verifyCode(context, challengeId, totpNow(context, secret));
    expect(verify.status).toBe(410);
    expect((await recover(challengeId, recoveryCodes[1] ?? "")).status).toBe(410);
  });

  it("a malformed code is VALIDATION_FAILED and costs no attempt", async () => {
    const root = await createRoot(context);
    const { recoveryCodes = [] } = await enable(root.cookie);
    const challengeId = await openChallenge(context, root.email);
    for (const code of ["123456", "abcd-efg0", "", "x".repeat(80)]) {
      const answer = await recover(challengeId, code);
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe("VALIDATION_FAILED");
    }
    for (let attempt = 0; attempt < MAX_WRONG_CODES_PER_CHALLENGE - 1; attempt++) {
      expect((await recover(challengeId, "aaaa-aaaa")).body.error.code).toBe("INVALID_CODE");
    }
    expect((await recover(challengeId, recoveryCodes[0] ?? "")).status).toBe(200);
  });

  it("S3: wrong recovery codes count toward the 5 per challenge, then the challenge is dead", async () => {
    const root = await createRoot(context);
    const { recoveryCodes = [] } = await enable(root.cookie);
    const challengeId = await openChallenge(context, root.email);
    for (let attempt = 0; attempt < MAX_WRONG_CODES_PER_CHALLENGE; attempt++) {
      expect((await recover(challengeId, "aaaa-aaaa")).body.error.code).toBe("INVALID_CODE");
    }
    const dead = await recover(challengeId, recoveryCodes[0] ?? "");
    expect(dead.status).toBe(410);
    expect(dead.body.error.code).toBe("CHALLENGE_EXPIRED");
    expect(await auditTypes(context, root.id)).toContain("two_factor.code_rejected");
  });

  it("S3: wrong recovery codes and wrong TOTP codes share the 10 per user budget (429 with Retry-After)", async () => {
    const root = await createRoot(context);
    const { recoveryCodes = [] } = await enable(root.cookie);
    let wrong = 0;
    while (wrong < MAX_WRONG_CODES_PER_USER) {
      const challengeId = await openChallenge(context, root.email);
      expect((await recover(challengeId, "aaaa-aaaa")).body.error.code).toBe("INVALID_CODE");
      expect((await verifyCode(context, challengeId, "000000")).body.error.code).toBe("INVALID_CODE");
      wrong += 2;
    }
    const locked = await recover(await openChallenge(context, root.email), recoveryCodes[0] ?? "");
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    await context.smtp.waitFor(root.email, /Code entry locked/);
  });

  it("regenerates only with a valid code: a new set, the old one dead", async () => {
    const root = await createRoot(context);
    const { secret, recoveryCodes: old = [] } = await enable(root.cookie);
    const refused = await call(context, "POST", "/api/me/two-factor/recovery-codes", {
      cookie: root.cookie,
      body: { code: "000000" },
    });
    expect(refused.body.error.code).toBe("INVALID_CODE");
    expect(
      (await call(context, "POST", "/api/me/two-factor/recovery-codes", { cookie: root.cookie, body: {} }))
        .status,
    ).toBe(400);

    context.clock.advance(30);
    const renewed = await call(context, "POST", "/api/me/two-factor/recovery-codes", {
      cookie: root.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(renewed.status).toBe(200);
    const fresh = renewed.body.recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => old.includes(code))).toBe(false);
    expect(await auditTypes(context, root.id)).toContain("two_factor.recovery_codes_regenerated");

    const challengeId = await openChallenge(context, root.email);
    expect((await recover(challengeId, old[0] ?? "")).body.error.code).toBe("INVALID_CODE");
    expect((await recover(challengeId, fresh[0] ?? "")).status).toBe(200);
  });

  it("removing the 2FA removes the codes", async () => {
    const root = await createRoot(context);
    const { secret } = await enable(root.cookie);
    context.clock.advance(30);
    const removed = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(removed.status).toBe(204);
    const [left] = await queryRows<{ count: number }>(
      context.database.db,
      sql`select count(*)::int as count from recovery_codes where user_id = ${root.id}`,
    );
    expect(left?.count).toBe(0);
  });
});

describe("recovery codes for members", () => {
  it("turning the setting off revokes the members' codes at once; turning it on again gives none back", async () => {
    const root = await createRoot(context);
    const allow = (allowMemberRecoveryCodes: boolean) =>
      call(context, "PATCH", "/api/team/settings", {
        cookie: root.cookie,
        body: { allowMemberRecoveryCodes },
      });
    expect((await allow(true)).status).toBe(200);
    const member = await createMember(context, root);
    const { secret, recoveryCodes = [] } = await enable(member.cookie);
    expect(recoveryCodes).toHaveLength(10);
    const { recoveryCodes: rootCodes = [] } = await enable(root.cookie);
    const unused = async (userId: string) => {
      const [row] = await queryRows<{ count: number }>(
        context.database.db,
        sql`select count(*)::int as count from recovery_codes where user_id = ${userId} and consumed_at is null`,
      );
      return row?.count;
    };

    expect((await allow(false)).body).toEqual({ allowMemberRecoveryCodes: false });
    expect(await unused(member.id)).toBe(0);
    expect(await unused(root.id)).toBe(rootCodes.length);
    const challengeId = await memberChallenge(root.accountId, member.email);
    expect((await recover(challengeId, recoveryCodes[0] ?? "")).body.error.code).toBe("INVALID_CODE");

    expect((await allow(true)).status).toBe(200);
    expect(await unused(member.id)).toBe(0);
    const again = await memberChallenge(root.accountId, member.email);
    expect((await recover(again, recoveryCodes[1] ?? "")).body.error.code).toBe("INVALID_CODE");
    context.clock.advance(30);
    const renewed = await call(context, "POST", "/api/me/two-factor/recovery-codes", {
      cookie: member.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(renewed.body.recoveryCodes).toHaveLength(10);
  });

  it("are off by default: no codes, no regeneration, no recovery sign-in", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    expect((await call(context, "GET", "/api/team/settings", { cookie: root.cookie })).body).toEqual({
      allowMemberRecoveryCodes: false,
    });
    const { secret, recoveryCodes } = await enable(member.cookie);
    expect(recoveryCodes).toBeUndefined();
    context.clock.advance(30);
    const regenerate = await call(context, "POST", "/api/me/two-factor/recovery-codes", {
      cookie: member.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(regenerate.status).toBe(403);
    const challengeId = await memberChallenge(root.accountId, member.email);
    expect((await recover(challengeId, "abcd-efgh")).body.error.code).toBe("INVALID_CODE");
  });

  it("only the root user changes the team setting", async () => {
    const root = await createRoot(context);
    const admin = await createMember(context, root, { roles: ["administrator"] });
    const refused = await call(context, "PATCH", "/api/team/settings", {
      cookie: admin.cookie,
      body: { allowMemberRecoveryCodes: true },
    });
    expect(refused.status).toBe(403);
    expect((await call(context, "GET", "/api/team/settings", { cookie: admin.cookie })).body).toEqual({
      allowMemberRecoveryCodes: false,
    });
    const bad = await call(context, "PATCH", "/api/team/settings", {
      cookie: root.cookie,
      body: { allowMemberRecoveryCodes: "yes" },
    });
    expect(bad.status).toBe(400);
    expect((await call(context, "GET", "/api/team/settings")).status).toBe(401);
  });

  it("when the root user allows them, a member gets codes, regenerates, signs in; both are mailed", async () => {
    const root = await createRoot(context);
    const allowed = await call(context, "PATCH", "/api/team/settings", {
      cookie: root.cookie,
      body: { allowMemberRecoveryCodes: true },
    });
    expect(allowed.body).toEqual({ allowMemberRecoveryCodes: true });
    const member = await createMember(context, root);
    const { secret, recoveryCodes = [] } = await enable(member.cookie);
    expect(recoveryCodes).toHaveLength(10);

    context.clock.advance(30);
    const renewed = await call(context, "POST", "/api/me/two-factor/recovery-codes", {
      cookie: member.cookie,
      body: { code: totpNow(context, secret) },
    });
    expect(renewed.status).toBe(200);
    const fresh = renewed.body.recoveryCodes as string[];

    const challengeId = await memberChallenge(root.accountId, member.email);
    const signedIn = await recover(challengeId, fresh[3] ?? "");
    expect(signedIn.status).toBe(200);
    const me = await call(context, "GET", "/api/me", { cookie: signedIn.cookie });
    expect(me.body.twoFactor.enabled).toBe(true);
    expect((await context.smtp.waitFor(member.email, /Recovery code used for your account/)).text).toContain(
      "9 unused",
    );
    expect((await context.smtp.waitFor(root.email, /Recovery code used for member-/)).text).toContain(
      member.email,
    );
  });
});
