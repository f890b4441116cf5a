import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { sealedKeyId } from "./crypto/secret-box.js";
import { queryRows } from "./db/connect.js";
import type { Logger } from "./deps.js";
import { resealSecrets } from "./services/keys/reseal-secrets.js";
import {
  call,
  createRoot,
  enableTotp,
  openChallenge,
  PASSWORD,
  silentLogger,
  TEST_KEY,
  totpNow,
  useTestApp,
  verifyCode,
} from "./test/harness.js";

// S4 key rotation (issue 13 item 11): ENCRYPTION_KEYS' first key seals, every key opens; secrets
// move to the first key by the reseal command or on a right code; a retired key answers 503.
const context = useTestApp();

const NEW_KEY = {
  id: "k2",
  key: new Uint8Array(createHash("sha256").update("cloud2fa second key").digest()),
};
const GONE_KEY = {
  id: "k0",
  key: new Uint8Array(createHash("sha256").update("cloud2fa retired key").digest()),
};

function useKeys(...keys: { id: string; key: Uint8Array }[]) {
  context.deps.keys = { keys };
}

function recordErrors(): string[] {
  const errors: string[] = [];
  const logger: Logger = { ...silentLogger, error: (message) => errors.push(message) };
  context.deps.logger = logger;
  return errors;
}

afterEach(() => {
  useKeys(TEST_KEY);
  context.deps.logger = silentLogger;
});

async function readFactor(userId: string) {
  const [row] = await queryRows<{ streak: number; lockedAt: string | null; sealed: string }>(
    context.database.db,
    sql`select failed_code_streak::int as streak, locked_at as "lockedAt", secret_ciphertext as sealed
      from two_factors where user_id = ${userId}`,
  );
  if (!row) throw new Error("no factor");
  return { ...row, keyId: sealedKeyId(row.sealed) };
}

async function charges(userId: string) {
  const [row] = await queryRows<{ budget: number; attempts: number }>(
    context.database.db,
    sql`select coalesce((select count from code_attempt_budgets where user_id = ${userId}), 0)::int as budget,
      coalesce((select sum(attempt_count) from sign_in_challenges where user_id = ${userId}), 0)::int as attempts`,
  );
  return row;
}

async function rootWithTotp() {
  const root = await createRoot(context);
  const secret = await enableTotp(context, root.cookie);
  context.clock.advance(30);
  return { ...root, secret };
}

describe("S4 key rotation", () => {
  it("S4 rotation: a right code for a factor sealed under a key no longer configured answers 503 ENCRYPTION_KEY_MISSING with a logged error, and counts toward no hard cap", async () => {
    const root = await rootWithTotp();
    await context.database.db.execute(
      sql`update two_factors set failed_code_streak = 99 where user_id = ${root.id}`,
    );
    useKeys(NEW_KEY);
    const errors = recordErrors();
    const before = await charges(root.id);

    for (let attempt = 0; attempt < 3; attempt++) {
      const challenge = await openChallenge(context, root.email);
      const answer = await verifyCode(context, challenge, totpNow(context, root.secret));
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe("ENCRYPTION_KEY_MISSING");
      expect(answer.cookie).toBeUndefined();
    }
    const removal = await call(context, "DELETE", "/api/me/two-factor", {
      cookie: root.cookie,
      body: { code: totpNow(context, root.secret) },
    });
    expect(removal.status).toBe(503);
    expect(removal.body.error.code).toBe("ENCRYPTION_KEY_MISSING");

    expect(await readFactor(root.id)).toMatchObject({ streak: 99, lockedAt: null, keyId: TEST_KEY.id });
    expect(await charges(root.id)).toEqual(before);
    expect(errors).toHaveLength(4);
    for (const error of errors)
      expect(error).toContain(`ENCRYPTION_KEY_MISSING: the 2FA secret of ${root.id}`);
    expect(errors[0]).toContain(`"${TEST_KEY.id}"`);

    // The key put back (after the new first one): the same code signs in and the streak resets.
    useKeys(NEW_KEY, TEST_KEY);
    const challenge = await openChallenge(context, root.email);
    expect((await verifyCode(context, challenge, totpNow(context, root.secret))).status).toBe(200);
    expect(await readFactor(root.id)).toMatchObject({ streak: 0, lockedAt: null });
  });

  it("S4 rotation: a pending setup sealed under a retired key answers 503 and is not charged", async () => {
    const root = await createRoot(context);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    useKeys(NEW_KEY);
    const errors = recordErrors();
    const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: totpNow(context, started.body.secret) },
    });
    expect(confirmed.status).toBe(503);
    expect(confirmed.body.error.code).toBe("ENCRYPTION_KEY_MISSING");
    expect(errors).toHaveLength(1);
    expect(await charges(root.id)).toEqual({ budget: 0, attempts: 0 });
  });

  it("S4 rotation: a right sign-in code re-seals the secret under the first key, after which the old key can go", async () => {
    const root = await rootWithTotp();
    useKeys(NEW_KEY, TEST_KEY);
    const wrong = await verifyCode(context, await openChallenge(context, root.email), "000000");
    expect(wrong.status).toBe(400);
    expect((await readFactor(root.id)).keyId).toBe(TEST_KEY.id);

    const right = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, root.secret),
    );
    expect(right.status).toBe(200);
    expect((await readFactor(root.id)).keyId).toBe(NEW_KEY.id);

    useKeys(NEW_KEY);
    context.clock.advance(30);
    const later = await verifyCode(
      context,
      await openChallenge(context, root.email),
      totpNow(context, root.secret),
    );
    expect(later.status).toBe(200);
  });

  it("S4 rotation: a right code outside sign-in (step-up) re-seals the secret too", async () => {
    const root = await rootWithTotp();
    useKeys(NEW_KEY, TEST_KEY);
    const stepUp = await call(context, "POST", "/api/me/step-up", {
      cookie: root.cookie,
      body: { code: totpNow(context, root.secret) },
    });
    expect(stepUp.status).toBe(200);
    expect((await readFactor(root.id)).keyId).toBe(NEW_KEY.id);
  });

  it("S4 rotation: the reseal command seals factors and pending setups under the first key and reports what it cannot move", async () => {
    const enabled = await rootWithTotp();
    const pending = await createRoot(context);
    const started = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: pending.cookie,
      body: { method: "totp", password: PASSWORD },
    });
    // A third user's secret under a key that is in no ring any more.
    const orphan = await createRoot(context);
    useKeys(GONE_KEY);
    const orphanSecret = await enableTotp(context, orphan.cookie);
    expect(orphanSecret).toBeTruthy();

    useKeys(NEW_KEY, TEST_KEY);
    const deps = { ...context.deps };
    const report = await resealSecrets(deps);
    expect(report).toMatchObject({
      keyId: NEW_KEY.id,
      factors: { resealed: 1, unreadable: [{ userId: orphan.id, keyId: GONE_KEY.id }] },
      setups: { resealed: 1, unreadable: [] },
      recoveryCodesUnderOlderKeys: [
        { keyId: GONE_KEY.id, users: 1 },
        { keyId: TEST_KEY.id, users: 1 },
      ],
    });
    // Run again (or by another process at once): nothing left to move.
    expect((await resealSecrets(deps)).factors.resealed).toBe(0);

    useKeys(NEW_KEY);
    const signIn = await verifyCode(
      context,
      await openChallenge(context, enabled.email),
      totpNow(context, enabled.secret),
    );
    expect(signIn.status).toBe(200);
    const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: pending.cookie,
      body: { code: totpNow(context, started.body.secret) },
    });
    expect(confirmed.status).toBe(200);
  });

  it("S4 rotation: the OpenAPI document names ENCRYPTION_KEY_MISSING (503) on every code check", async () => {
    const doc = await call(context, "GET", "/api/openapi.json");
    for (const [path, method] of [
      ["/auth/challenges/{challengeId}/verify", "post"],
      ["/me/two-factor/setup/confirm", "post"],
      ["/me/two-factor/recovery-codes", "post"],
      ["/me/two-factor", "delete"],
      ["/me/step-up", "post"],
    ] as const) {
      expect(doc.body.paths[path][method].responses["503"].description, `${method} ${path}`).toContain(
        "ENCRYPTION_KEY_MISSING",
      );
    }
  });
});
