import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { queryRows } from "./db/connect.js";
import {
  type ApiResponse,
  call,
  codeFrom,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

// S5, R2, S7: a user's access changes while a sign-in checks the password (argon2 takes a while).
// The one seam: the real password check, held at its start (its place in the hash queue taken) until
// the test's change has committed.
const gate = vi.hoisted(() => ({ next: null as null | { reached: () => void; released: Promise<void> } }));
vi.mock("./crypto/passwords.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("./crypto/passwords.js")>();
  return {
    ...real,
    admitPasswordHash: (...args: Parameters<typeof real.admitPasswordHash>) => {
      const slot = real.admitPasswordHash(...args);
      return {
        ...slot,
        verify: async (passwordHash: string, password: string) => {
          const hold = gate.next;
          gate.next = null;
          if (hold) {
            hold.reached();
            await hold.released;
          }
          return slot.verify(passwordHash, password);
        },
      };
    },
  };
});

const context = useTestApp();

/** Signs in with `signIn`, and runs `change` to its end while that sign-in checks the password. */
async function signInDuring(signIn: () => Promise<ApiResponse>, change: () => Promise<ApiResponse>) {
  let reached = () => {};
  let release = () => {};
  const isReached = new Promise<void>((resolve) => {
    reached = resolve;
  });
  gate.next = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
  const answer = signIn();
  await isReached;
  const changed = await change();
  release();
  return { answer: await answer, changed };
}

const rootLogin = (email: string) => () =>
  call(context, "POST", "/api/auth/root/login", { body: { email, password: PASSWORD } });
const memberLogin = (accountId: string, email: string) => () =>
  call(context, "POST", "/api/auth/member/login", { body: { accountId, email, password: PASSWORD } });

const setStatus = (rootCookie: string, memberId: string, status: "active" | "disabled") =>
  call(context, "PATCH", `/api/team/members/${memberId}`, { cookie: rootCookie, body: { status } });

async function accessOf(userId: string) {
  const [row] = await queryRows<{ sessions: number; challenges: number }>(
    context.deps.db,
    sql`select
      (select count(*)::int from sessions where user_id = ${userId} and revoked_at is null) as "sessions",
      (select count(*)::int from sign_in_challenges where user_id = ${userId} and consumed_at is null) as "challenges"`,
  );
  return row;
}

describe("S5, R2: what a sign-in opens follows the user as it is when the password check ends", () => {
  it("R2, S5: 2FA enabled during the password check: the sign-in gets a challenge, not a session", async () => {
    const root = await createRoot(context);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    expect(started.status).toBe(200);
    const secret = started.body.secret as string;

    const { answer, changed } = await signInDuring(rootLogin(root.email), () =>
      call(context, "POST", "/api/me/two-factor/setup/confirm", {
        cookie: root.cookie,
        body: { code: totpNow(context, secret) },
      }),
    );
    expect(changed.status).toBe(200);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "two_factor_required", method: "totp" });
    expect(answer.cookie).toBeUndefined();
    // Only the confirming session lives, and the new challenge.
    expect(await accessOf(root.id)).toEqual({ sessions: 1, challenges: 1 });
    context.clock.advance(30);
    expect((await verifyCode(context, answer.body.challengeId, totpNow(context, secret))).status).toBe(200);
  });

  it("R2: an emailed-code 2FA enabled during the password check: the challenge's code is mailed", async () => {
    const root = await createRoot(context);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    expect(started.status).toBe(200);
    const setupCode = codeFrom((await context.smtp.waitFor(root.email, /code/)).text);
    context.smtp.clear();

    const { answer, changed } = await signInDuring(rootLogin(root.email), () =>
      call(context, "POST", "/api/me/two-factor/setup/confirm", {
        cookie: root.cookie,
        body: { code: setupCode },
      }),
    );
    expect(changed.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "two_factor_required", method: "email" });
    expect(await accessOf(root.id)).toEqual({ sessions: 1, challenges: 1 });
    const code = codeFrom((await context.smtp.waitFor(root.email, /Your cloud2fa code/)).text);
    expect((await verifyCode(context, answer.body.challengeId, code)).status).toBe(200);
  });

  it("S5: a member disabled during the password check gets no session, not even once enabled again", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const { answer, changed } = await signInDuring(memberLogin(root.accountId, member.email), () =>
      setStatus(root.cookie, member.id, "disabled"),
    );
    expect(changed.status).toBe(200);
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(answer.cookie).toBeUndefined();
    expect((await setStatus(root.cookie, member.id, "active")).status).toBe(200);
    expect(await accessOf(member.id)).toEqual({ sessions: 0, challenges: 0 });
  });

  it("S5: a member with 2FA disabled during the password check gets no challenge", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    const { answer, changed } = await signInDuring(memberLogin(root.accountId, member.email), () =>
      setStatus(root.cookie, member.id, "disabled"),
    );
    expect(changed.status).toBe(200);
    expect(answer.body.error?.code).toBe("ACCOUNT_NOT_ACTIVE");
    expect(await accessOf(member.id)).toEqual({ sessions: 0, challenges: 0 });
  });

  it("R2: a member's 2FA removed by the root user during the password check: the sign-in gets a session", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    const { answer, changed } = await signInDuring(memberLogin(root.accountId, member.email), () =>
      call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, { cookie: root.cookie }),
    );
    expect(changed.status).toBe(204);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe("authenticated");
    expect((await call(context, "GET", "/api/me", { cookie: answer.cookie })).status).toBe(200);
    expect(await accessOf(member.id)).toEqual({ sessions: 1, challenges: 0 });
  });

  it("R2: a root user's own 2FA removed during the password check: the sign-in gets a session", async () => {
    const root = await createRoot(context);
    const secret = await enableTotp(context, root.cookie);
    context.clock.advance(30);
    const { answer, changed } = await signInDuring(rootLogin(root.email), () =>
      call(context, "DELETE", "/api/me/two-factor", {
        cookie: root.cookie,
        body: { code: totpNow(context, secret) },
      }),
    );
    expect(changed.status).toBe(204);
    expect(answer.body.status).toBe("authenticated");
    expect(await accessOf(root.id)).toEqual({ sessions: 2, challenges: 0 });
  });

  it("S7: a member deleted during the password check: 401 like an unknown address, nothing written", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    const { answer, changed } = await signInDuring(memberLogin(root.accountId, member.email), () =>
      call(context, "DELETE", `/api/team/members/${member.id}`, { cookie: root.cookie }),
    );
    expect(changed.status).toBe(204);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("INVALID_CREDENTIALS");
    expect(await accessOf(member.id)).toEqual({ sessions: 0, challenges: 0 });
  });
});
