import { MAX_CONSECUTIVE_FAILED_CODES } from "@cloud2fa/domain";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { asDate, queryRows } from "./db/connect.js";
import {
  type ApiResponse,
  call,
  codeFrom,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  totpNow,
  useTestApp,
  verifyCode,
  wrongTotp,
} from "./test/harness.js";

// Hard cap (issue 5): after 100 consecutive failed codes the factor is locked until the root user
// removes it (member) or a recovery code is used (root user).
const context = useTestApp();

async function rootWithTotp() {
  const root = await createRoot(context);
  const setup = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie: root.cookie,
    body: { method: "totp", password: PASSWORD },
  });
  const secret = setup.body.secret as string;
  const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
    cookie: root.cookie,
    body: { code: totpNow(context, secret) },
  });
  expect(confirmed.status).toBe(200);
  context.clock.advance(30);
  return { ...root, secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}

async function memberWithTotp(options: { recoveryCodes?: boolean } = {}) {
  const root = await createRoot(context);
  if (options.recoveryCodes) {
    const changed = await call(context, "PATCH", "/api/team/settings", {
      cookie: root.cookie,
      body: { allowMemberRecoveryCodes: true },
    });
    expect(changed.status).toBe(200);
  }
  const member = await createMember(context, root);
  const setup = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie: member.cookie,
    body: { method: "totp", password: PASSWORD },
  });
  const secret = setup.body.secret as string;
  const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
    cookie: member.cookie,
    body: { code: totpNow(context, secret) },
  });
  expect(confirmed.status).toBe(200);
  context.clock.advance(30);
  return { root, member, secret, recoveryCodes: confirmed.body.recoveryCodes as string[] | undefined };
}

async function memberChallenge(accountId: string, email: string): Promise<string> {
  const login = await call(context, "POST", "/api/auth/member/login", {
    body: { accountId, email, password: PASSWORD },
  });
  expect(login.body.status).toBe("two_factor_required");
  return login.body.challengeId as string;
}

async function seedStreak(userId: string, failedCodeStreak: number) {
  await context.database.db.execute(
    sql`update two_factors set failed_code_streak = ${failedCodeStreak} where user_id = ${userId}`,
  );
}

async function readFactor(userId: string) {
  const [row] = await queryRows<{ failedCodeStreak: number; lockedAt: string | null }>(
    context.database.db,
    sql`select failed_code_streak::int as "failedCodeStreak", locked_at as "lockedAt"
      from two_factors where user_id = ${userId}`,
  );
  return row ? { failedCodeStreak: row.failedCodeStreak, lockedAt: asDate(row.lockedAt) } : null;
}

async function factorLockedEvents(userId: string) {
  return queryRows<{ actorId: string; subjectId: string; detail: unknown }>(
    context.database.db,
    sql`select actor_id as "actorId", subject_id as "subjectId", detail from audit_events
      where subject_id = ${userId} and type = 'two_factor.factor_locked' order by seq`,
  );
}

function expectFactorLocked(answer: ApiResponse) {
  expect(answer.status).toBe(403);
  expect(answer.body.error.code).toBe("TWO_FACTOR_LOCKED");
  // It does not expire: nothing to wait for.
  expect(answer.headers.get("retry-after")).toBeNull();
}

async function challengeCount(userId: string): Promise<number> {
  const [row] = await queryRows<{ count: number }>(
    context.database.db,
    sql`select count(*)::int as count from sign_in_challenges where user_id = ${userId}`,
  );
  return row?.count ?? 0;
}

function recover(challengeId: string, code: string) {
  return call(context, "POST", `/api/auth/challenges/${challengeId}/recovery`, { body: { code } });
}

describe("hard cap: 100 consecutive failed codes lock the factor", () => {
  it("hard cap: 100 wrong codes through the API across S3 locks: 99 leave it open, the 100th locks, mails and audits once", async () => {
    const root = await rootWithTotp();
    let failed = 0;
    let challenge = await openChallenge(context, root.email);
    while (failed < MAX_CONSECUTIVE_FAILED_CODES) {
      const answer = await verifyCode(context, challenge, wrongTotp(context, root.secret));
      if (answer.status === 429) {
        // S3's 15-minute lock: wait it out, as a patient attacker would.
        context.clock.advance(Number(answer.headers.get("retry-after")));
        challenge = await openChallenge(context, root.email);
        continue;
      }
      if (answer.status === 410) {
        challenge = await openChallenge(context, root.email);
        continue;
      }
      failed++;
      if (failed < MAX_CONSECUTIVE_FAILED_CODES) {
        expect(answer.body.error.code, `wrong code ${failed}`).toBe("INVALID_CODE");
        if (failed === MAX_CONSECUTIVE_FAILED_CODES - 1) {
          expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 99, lockedAt: null });
        }
      } else {
        expectFactorLocked(answer);
      }
    }
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 100, lockedAt: context.clock.now() });
    const events = await factorLockedEvents(root.id);
    expect(events).toEqual([{ actorId: root.id, subjectId: root.id, detail: { failedCodes: 100 } }]);
    const mail = await context.smtp.waitFor(root.email, /Two-factor authentication locked/);
    expect(mail.text).toContain("100 wrong two-factor codes in a row");
    expect(mail.text).toContain("recovery code");

    // Locked: the right code is refused, on a new challenge, after any wait.
    context.clock.advance(24 * 3600);
    const after = await openChallenge(context, root.email);
    expectFactorLocked(await verifyCode(context, after, totpNow(context, root.secret)));
  }, 60_000);

  it("hard cap: at 98 a wrong code leaves it open at 99; the right code at 99 is accepted and resets the streak", async () => {
    const root = await rootWithTotp();
    await seedStreak(root.id, 98);
    const challenge = await openChallenge(context, root.email);
    const wrong = await verifyCode(context, challenge, wrongTotp(context, root.secret));
    expect(wrong.body.error.code).toBe("INVALID_CODE");
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 99, lockedAt: null });

    const right = await verifyCode(context, challenge, totpNow(context, root.secret));
    expect(right.status).toBe(200);
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 0, lockedAt: null });
    const me = await call(context, "GET", "/api/me", { cookie: right.cookie });
    expect(me.body.twoFactor.locked).toBe(false);
  });

  it("hard cap: the 100th code is charged before the check, but a right 100th code is no failure: accepted, streak 0", async () => {
    const root = await rootWithTotp();
    await seedStreak(root.id, 99);
    const challenge = await openChallenge(context, root.email);
    const right = await verifyCode(context, challenge, totpNow(context, root.secret));
    expect(right.status).toBe(200);
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 0, lockedAt: null });
    expect(await factorLockedEvents(root.id)).toEqual([]);
  });

  it("hard cap: while locked no code is checked and nothing is charged (challenge, S3 budget, streak)", async () => {
    const root = await rootWithTotp();
    await seedStreak(root.id, 99);
    const first = await openChallenge(context, root.email);
    expectFactorLocked(await verifyCode(context, first, wrongTotp(context, root.secret)));
    const lockedAt = context.clock.now();
    context.clock.advance(60);

    const challenge = await openChallenge(context, root.email);
    for (let i = 0; i < 3; i++)
      expectFactorLocked(await verifyCode(context, challenge, totpNow(context, root.secret)));
    const [charges] = await queryRows<{ attempts: number; budget: number }>(
      context.database.db,
      sql`select (select attempt_count::int from sign_in_challenges where id = ${challenge}) as "attempts",
        (select count::int from code_attempt_budgets where user_id = ${root.id}) as "budget"`,
    );
    expect(charges).toEqual({ attempts: 0, budget: 1 });
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 100, lockedAt });
    expect(await factorLockedEvents(root.id)).toHaveLength(1);
  });

  it("hard cap: 20 concurrent wrong codes at 95: 4 are wrong, one locks, the streak stops at 100, locked and audited once", async () => {
    const { root, member, secret } = await memberWithTotp();
    await seedStreak(member.id, 95);
    const challenges: string[] = [];
    for (let i = 0; i < 4; i++) challenges.push(await memberChallenge(root.accountId, member.email));
    const wrong = wrongTotp(context, secret);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => verifyCode(context, challenges[i % 4] ?? "", wrong)),
    );
    const codes = answers.map((answer) => answer.body.error.code as string);
    expect(answers.every((answer) => answer.status < 500)).toBe(true);
    expect(codes.filter((code) => code === "INVALID_CODE")).toHaveLength(4);
    expect(codes).toContain("TWO_FACTOR_LOCKED");
    for (const code of codes)
      expect(["INVALID_CODE", "TWO_FACTOR_LOCKED", "TOO_MANY_ATTEMPTS"]).toContain(code);
    const factor = await readFactor(member.id);
    expect(factor?.failedCodeStreak).toBe(100);
    expect(factor?.lockedAt).not.toBeNull();
    expect(await factorLockedEvents(member.id)).toHaveLength(1);
  });
});

describe("hard cap: what unlocks the factor", () => {
  it("hard cap: a member's factor is locked for good; the team list and /api/me show it; only the root user's Remove 2FA unlocks it", async () => {
    const { root, member, secret, recoveryCodes } = await memberWithTotp({ recoveryCodes: true });
    await seedStreak(member.id, 99);
    const challenge = await memberChallenge(root.accountId, member.email);
    expectFactorLocked(await verifyCode(context, challenge, wrongTotp(context, secret)));

    const events = await factorLockedEvents(member.id);
    expect(events).toEqual([{ actorId: member.id, subjectId: member.id, detail: { failedCodes: 100 } }]);
    const toMember = await context.smtp.waitFor(member.email, /Two-factor authentication locked/);
    expect(toMember.text).toContain(
      "ask the root user of your team to remove your two-factor authentication",
    );
    const toRoot = await context.smtp.waitFor(root.email, new RegExp(`locked for ${member.email}`));
    expect(toRoot.text).toContain("Remove 2FA");

    const list = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
    expect(list.body.members[0].twoFactor).toMatchObject({ enabled: true, locked: true });
    const me = await call(context, "GET", "/api/me", { cookie: member.cookie });
    expect(me.body.twoFactor).toMatchObject({ enabled: true, locked: true });

    // A member's recovery code does not unlock it (only the root user removes a member's 2FA, R5).
    expectFactorLocked(await recover(challenge, recoveryCodes?.[0] ?? ""));
    expectFactorLocked(await verifyCode(context, challenge, totpNow(context, secret)));
    expect((await readFactor(member.id))?.lockedAt).not.toBeNull();

    // So the right password says so at once, and opens no challenge.
    const challengesBefore = await challengeCount(member.id);
    expectFactorLocked(
      await call(context, "POST", "/api/auth/member/login", {
        body: { accountId: root.accountId, email: member.email, password: PASSWORD },
      }),
    );
    expect(await challengeCount(member.id)).toBe(challengesBefore);
    const wrongPassword = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: `${PASSWORD}!` },
    });
    expect(wrongPassword.body.error.code).toBe("INVALID_CREDENTIALS");

    const removed = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
    });
    expect(removed.status).toBe(204);
    expect(await readFactor(member.id)).toBeNull();
    const listed = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
    expect(listed.body.members[0].twoFactor).toEqual({ enabled: false, method: null, enabledAt: null });

    const login = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(login.body.status).toBe("authenticated");
    const again = await enableTotp(context, login.cookie ?? "");
    expect(again).not.toBe(secret);
    expect(await readFactor(member.id)).toEqual({ failedCodeStreak: 0, lockedAt: null });
  });

  it("hard cap: a root user's recovery code unlocks the factor and keeps 2FA on (R4); the code works again", async () => {
    const root = await rootWithTotp();
    await seedStreak(root.id, 99);
    const locking = await openChallenge(context, root.email);
    expectFactorLocked(await verifyCode(context, locking, wrongTotp(context, root.secret)));

    // The next sign-in's password step says it is locked, and opens the challenge for a recovery code.
    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      status: "two_factor_required",
      challengeId: expect.any(String),
      method: "totp",
      isLocked: true,
    });
    const challenge = login.body.challengeId as string;

    // Wrong recovery codes are bounded by S3, not counted in the streak.
    const wrongRecovery = await recover(challenge, "zzzz-zzzz");
    expect(wrongRecovery.body.error.code).toBe("INVALID_CODE");
    const recovered = await recover(challenge, root.recoveryCodes[0] ?? "");
    expect(recovered.status).toBe(200);
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 0, lockedAt: null });
    const me = await call(context, "GET", "/api/me", { cookie: recovered.cookie });
    expect(me.body.twoFactor).toMatchObject({ enabled: true, locked: false });
    const [used] = await queryRows<{ detail: unknown }>(
      context.database.db,
      sql`select detail from audit_events where subject_id = ${root.id} and type = 'two_factor.recovery_code_used'`,
    );
    expect(used?.detail).toEqual({ purpose: "sign_in", unlocked: true });

    context.clock.advance(30);
    const next = await openChallenge(context, root.email);
    expect((await verifyCode(context, next, totpNow(context, root.secret))).status).toBe(200);
  });

  it("hard cap: a wrong recovery code does not count in the streak", async () => {
    const root = await rootWithTotp();
    await seedStreak(root.id, 99);
    const challenge = await openChallenge(context, root.email);
    const wrong = await recover(challenge, "zzzz-zzzz");
    expect(wrong.body.error.code).toBe("INVALID_CODE");
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 99, lockedAt: null });
  });
});

describe("hard cap: the email method", () => {
  it("hard cap: a root user's 100th wrong emailed code locks; no new code is mailed while locked", async () => {
    const root = await createRoot(context);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    const setupMail = await context.smtp.waitFor(root.email, /Your cloud2fa code/);
    const enabled = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: codeFrom(setupMail.text) },
    });
    expect(enabled.status).toBe(200);
    await seedStreak(root.id, 99);
    context.smtp.clear();
    const challenge = await openChallenge(context, root.email);
    const mailed = codeFrom((await context.smtp.waitFor(root.email, /Your cloud2fa code/)).text);
    const wrong = String((Number(mailed) + 1) % 1_000_000).padStart(6, "0");
    expectFactorLocked(await verifyCode(context, challenge, wrong));
    expectFactorLocked(await verifyCode(context, challenge, mailed));
    context.clock.advance(120);
    expectFactorLocked(await call(context, "POST", `/api/auth/challenges/${challenge}/resend`));
    expect(context.smtp.received.filter((mail) => /Your cloud2fa code/.test(mail.subject))).toHaveLength(1);
    expect(await factorLockedEvents(root.id)).toHaveLength(1);

    // A new sign-in mails no code either: it says it is locked, and a recovery code signs in.
    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.body).toMatchObject({ status: "two_factor_required", method: "email", isLocked: true });
    const [issued] = await queryRows<{ count: number }>(
      context.database.db,
      sql`select count(*)::int as count from email_codes where binding_id = ${login.body.challengeId}`,
    );
    expect(issued?.count).toBe(0);
    const recovered = await recover(login.body.challengeId, enabled.body.recoveryCodes[0]);
    expect(recovered.status).toBe(200);
    expect(context.smtp.received.filter((mail) => /Your cloud2fa code/.test(mail.subject))).toHaveLength(1);
  });
});

describe("hard cap: action codes share the streak", () => {
  it("hard cap: the 100th wrong code at removal (R10) locks; then even the right code cannot remove 2FA", async () => {
    const root = await rootWithTotp();
    const signedIn = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, root.secret),
    );
    context.clock.advance(30);
    await seedStreak(root.id, 99);
    const wrong = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: signedIn.cookie,
      body: { code: wrongTotp(context, root.secret) },
    });
    expectFactorLocked(wrong);
    expect(await factorLockedEvents(root.id)).toHaveLength(1);
    const right = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: signedIn.cookie,
      body: { code: totpNow(context, root.secret) },
    });
    expectFactorLocked(right);
    expect((await readFactor(root.id))?.lockedAt).not.toBeNull();
  });

  it("hard cap: a right action code resets the streak", async () => {
    const root = await rootWithTotp();
    const signedIn = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, root.secret),
    );
    context.clock.advance(30);
    await seedStreak(root.id, 99);
    const regenerated = await call(context, "POST", "/api/me/two-factor/recovery-codes", {
      cookie: signedIn.cookie,
      body: { code: totpNow(context, root.secret) },
    });
    expect(regenerated.status).toBe(200);
    expect(await readFactor(root.id)).toEqual({ failedCodeStreak: 0, lockedAt: null });
  });
});

describe("hard cap: the OpenAPI document describes it", () => {
  it("hard cap: twoFactor.locked (Me and Member) and 403 TWO_FACTOR_LOCKED on the code and recovery steps", async () => {
    const document = await call(context, "GET", "/api/openapi.json");
    for (const name of ["Me", "Member"]) {
      const locked = document.body.components.schemas[name].properties.twoFactor.properties.locked;
      expect(locked).toMatchObject({ type: "boolean" });
      expect(locked.description).toContain("100 consecutive failed codes");
    }
    for (const path of [
      "/auth/challenges/{challengeId}/verify",
      "/auth/challenges/{challengeId}/recovery",
      "/auth/member/login",
    ]) {
      expect(document.body.paths[path].post.responses["403"].description).toContain("TWO_FACTOR_LOCKED");
    }
    const signInResults =
      document.body.components.schemas.SignInResult.oneOf ??
      document.body.components.schemas.SignInResult.anyOf;
    const challenged = signInResults.find(
      (shape: { properties: { status: { const?: string; enum?: string[] } } }) =>
        JSON.stringify(shape.properties.status).includes("two_factor_required"),
    );
    expect(challenged.properties.isLocked.description).toContain("no code was mailed");
  });
});
