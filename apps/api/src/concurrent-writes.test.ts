import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { queryRows } from "./db/connect.js";
import {
  type ApiResponse,
  call,
  createMember,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";
import { enableTotpWithRecoveryCodes } from "./test/step-up.js";

// Only in the "postgres" vitest project (see vitest.config.ts): requests of one app race on a pool of
// real connections. "Lined up" tests hold a row lock from a side transaction so that the requests
// queue in a chosen order, then release it: the interleaving that once deadlocked, every time.

const context = useTestApp();
const ROUNDS = 20;

function answer(response: ApiResponse): string {
  return response.body?.error ? `${response.status} ${response.body.error.code}` : String(response.status);
}

/** Holds the row locks `statement` takes in a side transaction until the returned release is called. */
async function holdLocks(statement: SQL): Promise<() => Promise<void>> {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let locked = () => {};
  const isLocked = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const holder = context.deps.db.transaction(async (tx) => {
    await tx.execute(statement);
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await holder;
  };
}

/** Waits until `count` sessions of this database wait for a lock. */
async function untilBlocked(count: number) {
  for (let tries = 0; tries < 500; tries++) {
    const [row] = await queryRows<{ waiting: number }>(
      context.deps.db,
      sql`select count(*)::int as "waiting" from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if ((row?.waiting ?? 0) >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never ${count} sessions waiting for a lock`);
}

async function memberState(memberId: string) {
  const [row] = await queryRows<{ isSso: boolean; hasTwoFactor: boolean; hasSetup: boolean }>(
    context.deps.db,
    sql`select u.is_sso as "isSso",
      exists (select 1 from two_factors f where f.user_id = u.id) as "hasTwoFactor",
      exists (select 1 from two_factor_setups s where s.user_id = u.id) as "hasSetup"
      from users u where u.id = ${memberId}`,
  );
  return row;
}

/** A root user and an active member whose TOTP setup is pending; returns the setup's secret. */
async function memberWithPendingSetup() {
  const root = await createRoot(context);
  const member = await createMember(context, root);
  const started = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie: member.cookie,
    body: { method: "totp", password: PASSWORD },
  });
  expect(started.status).toBe(200);
  return { root, member, secret: started.body.secret as string };
}

function confirmAndMarkSso(scene: Awaited<ReturnType<typeof memberWithPendingSetup>>) {
  const { root, member, secret } = scene;
  return [
    () =>
      call(context, "POST", "/api/me/two-factor/setup/confirm", {
        cookie: member.cookie,
        body: { code: totpNow(context, secret) },
      }),
    () =>
      call(context, "PATCH", `/api/team/members/${member.id}`, { cookie: root.cookie, body: { sso: true } }),
  ] as const;
}

/** R6, S7: either the 2FA is enabled and the SSO flag refused, or the flag is set and the setup gone. */
async function expectSsoRaceSettled(memberId: string, confirmed: ApiResponse, patched: ApiResponse) {
  const state = await memberState(memberId);
  const answers = `${answer(confirmed)} / ${answer(patched)}`;
  if (state?.hasTwoFactor) {
    expect(answers).toBe("200 / 409 TWO_FACTOR_ALREADY_CONFIGURED");
    expect(state).toEqual({ isSso: false, hasTwoFactor: true, hasSetup: false });
  } else {
    expect(["400 INVALID_CODE / 200", "409 NO_PENDING_SETUP / 200"]).toContain(answers);
    expect(state).toEqual({ isSso: true, hasTwoFactor: false, hasSetup: false });
  }
}

describe("S7: a member's 2FA and the team actions on it never deadlock (PostgreSQL)", () => {
  it("S7, R6: a setup started while an SSO flag waits to commit is refused: no setup is left on an SSO account", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    // The SSO change has written the member's row and not committed yet; the setup checked the old row.
    const release = await holdLocks(sql`update users set is_sso = true where id = ${member.id}`);
    const started = call(context, "POST", "/api/me/two-factor/setup", {
      cookie: member.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    await untilBlocked(1);
    await release();
    expect(answer(await started)).toBe("409 SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR");
    expect(await memberState(member.id)).toEqual({ isSso: true, hasTwoFactor: false, hasSetup: false });
  });

  it("S7, R6: confirm-setup lined up against the root user's SSO flag: no 5xx, a consistent member", async () => {
    const scene = await memberWithPendingSetup();
    const [confirm, markSso] = confirmAndMarkSso(scene);
    // The confirmation waits at the setup row first, then the PATCH queues behind it.
    const release = await holdLocks(
      sql`select 1 from two_factor_setups where user_id = ${scene.member.id} for update`,
    );
    const confirming = confirm();
    await untilBlocked(1);
    const patching = markSso();
    await untilBlocked(2);
    await release();
    await expectSsoRaceSettled(scene.member.id, await confirming, await patching);
  });

  it(`S7, R6: confirm-setup and the SSO flag sent at once, ${ROUNDS} rounds: no 5xx, a consistent member`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const scene = await memberWithPendingSetup();
      const [confirm, markSso] = confirmAndMarkSso(scene);
      const [confirmed, patched] = await Promise.all([confirm(), markSso()]);
      await expectSsoRaceSettled(scene.member.id, confirmed, patched);
    }
  }, 120_000);

  it("S7, R5: Remove 2FA lined up against the member's first code check: no 5xx, the 2FA and its sign-in gone", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const secret = await enableTotp(context, member.cookie);
    context.clock.advance(30);
    const login = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    const challengeId = login.body.challengeId as string;
    // The first code check inserts the member's attempt budget (a foreign key to its users row).
    await context.deps.db.execute(sql`delete from code_attempt_budgets where user_id = ${member.id}`);
    const release = await holdLocks(sql`select 1 from two_factors where user_id = ${member.id} for update`);
    const verifying = verifyCode(context, challengeId, totpNow(context, secret));
    await untilBlocked(1);
    const removing = call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
    });
    await untilBlocked(2);
    await release();
    const [verified, removed] = await Promise.all([verifying, removing]);
    expect(answer(removed)).toBe("204");
    expect(["200", "400 INVALID_CODE", "410 CHALLENGE_EXPIRED"]).toContain(answer(verified));
    expect((await memberState(member.id))?.hasTwoFactor).toBe(false);
    // S5: removing the member's 2FA revokes its sessions, also one this sign-in opened.
    if (verified.cookie)
      expect((await call(context, "GET", "/api/me", { cookie: verified.cookie })).status).toBe(401);
  });
});

describe("S2: a code is used up only by the request that signs in (PostgreSQL)", () => {
  async function unusedRecoveryCodes(userId: string): Promise<number> {
    const [row] = await queryRows<{ unused: number }>(
      context.deps.db,
      sql`select count(*)::int as "unused" from recovery_codes where user_id = ${userId} and consumed_at is null`,
    );
    return row?.unused ?? -1;
  }

  it(`S2: a TOTP code and a recovery code on one challenge, ${ROUNDS} rounds: one signs in, the other's code stays unused`, async () => {
    const wins = { totp: 0, recovery: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const root = await createRoot(context);
      const { secret, recoveryCodes } = await enableTotpWithRecoveryCodes(context, root.cookie);
      const [recoveryCode] = recoveryCodes;
      if (!recoveryCode) throw new Error("no recovery codes");
      const before = await unusedRecoveryCodes(root.id);
      context.clock.advance(30);
      const challengeId = await openChallenge(context, root.email);
      const code = totpNow(context, secret);
      const [byCode, byRecovery] = await Promise.all([
        verifyCode(context, challengeId, code),
        call(context, "POST", `/api/auth/challenges/${challengeId}/recovery`, {
          body: { code: recoveryCode },
        }),
      ]);
      const losers = ["400 INVALID_CODE", "410 CHALLENGE_EXPIRED"];
      if (byCode.status === 200) {
        wins.totp++;
        expect(losers).toContain(answer(byRecovery));
        expect(await unusedRecoveryCodes(root.id)).toBe(before);
      } else {
        wins.recovery++;
        expect(answer(byRecovery)).toBe("200");
        expect(losers).toContain(answer(byCode));
        expect(await unusedRecoveryCodes(root.id)).toBe(before - 1);
        // S2: the step was never accepted, so it is still the user's to use, once.
        const next = await openChallenge(context, root.email);
        expect((await verifyCode(context, next, code)).status).toBe(200);
      }
    }
    expect(wins.totp + wins.recovery).toBe(ROUNDS);
  }, 180_000);
});

describe("S5: a member disabled while signing in keeps no way in (PostgreSQL)", () => {
  /** Holds the member's live sessions locked: a disabling then waits at its last step, still uncommitted. */
  const holdSessions = (memberId: string) =>
    holdLocks(sql`select 1 from sessions where user_id = ${memberId} and revoked_at is null for update`);

  async function liveSessions(memberId: string) {
    const [row] = await queryRows<{ live: number }>(
      context.deps.db,
      sql`select count(*)::int as "live" from sessions where user_id = ${memberId} and revoked_at is null`,
    );
    return row?.live;
  }

  it("S5: a sign-in whose password check ends while a disabling is in flight waits for it, then opens nothing", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const release = await holdSessions(member.id);
    const disabling = call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "disabled" },
    });
    await untilBlocked(1);
    // The candidate is read as committed (active); the session insert then waits for the member's row.
    const signIn = call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    await Promise.race([signIn, untilBlocked(2)]);
    await release();
    expect((await disabling).status).toBe(200);
    expect(answer(await signIn)).toBe("409 ACCOUNT_NOT_ACTIVE");
    expect(await liveSessions(member.id)).toBe(0);
  });

  it("S5: a code verification settling while a disabling is in flight: no session outlives the disabling", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const secret = await enableTotp(context, member.cookie);
    const login = await call(context, "POST", "/api/auth/member/login", {
      body: { accountId: root.accountId, email: member.email, password: PASSWORD },
    });
    expect(login.body.status).toBe("two_factor_required");
    context.clock.advance(30);
    const release = await holdSessions(member.id);
    const disabling = call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { status: "disabled" },
    });
    await untilBlocked(1);
    // The disabling has revoked the challenge, uncommitted: the code's charge waits for it.
    const verified = verifyCode(context, login.body.challengeId, totpNow(context, secret));
    await Promise.race([verified, untilBlocked(2)]);
    await release();
    expect((await disabling).status).toBe(200);
    expect(answer(await verified)).toBe("410 CHALLENGE_EXPIRED");
    expect(await liveSessions(member.id)).toBe(0);
  });
});
