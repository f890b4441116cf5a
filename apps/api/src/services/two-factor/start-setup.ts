import {
  addSeconds,
  buildOtpauthUri,
  canStartSetup,
  createTotpSecret,
  SETUP_TTL_IN_SECONDS,
  TOTP_SECRET_BYTES,
  type TwoFactorMethod,
} from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import QRCode from "qrcode";
import { sealSecret } from "../../crypto/secret-box.js";
import { createId } from "../../crypto/tokens.js";
import { twoFactorSetups, users } from "../../db/schema/index.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { checkPasswordAgain } from "../limits/password-recheck.js";
import { loadUser } from "../users.js";
import { issueEmailCode } from "./codes.js";

export type StartSetupResult =
  | { method: "totp"; secret: string; otpauthUri: string; qrCode: string; expiresAt: string }
  | { method: "email"; maskedEmail: string; expiresAt: string };

export function maskEmail(email: string): string {
  const [local = "", domain = ""] = email.split("@");
  return `${local.slice(0, 1)}${"•".repeat(Math.max(1, Math.min(local.length - 1, 6)))}@${domain}`;
}

/**
 * R1, R3, R6, R7 (domain), R11 (password again, in this request), R8 (nothing changes until the
 * confirmation). A new setup replaces a pending one: the old secret or code is dead.
 */
export async function startSetup({
  deps,
  input,
  meta,
}: ServiceCall<{ userId: string; method: TwoFactorMethod; password: string }>): Promise<StartSetupResult> {
  const now = deps.clock.now();
  const loaded = await loadUser(deps.db, { id: input.userId });
  if (!loaded) throw new AppError("UNAUTHENTICATED");
  const decision = canStartSetup(loaded.user, loaded.twoFactor, input.method);
  if (!decision.ok) throw new AppError(decision.reason);
  // R11: the password again, in this request; a wrong one is recorded (S8).
  await checkPasswordAgain(deps, loaded.row, input.password, meta, {
    isPasswordOnPage: false,
    onRefused: (tx) =>
      recordAuditEvent(tx, deps, {
        accountId: loaded.row.accountId,
        type: "two_factor.setup_password_rejected",
        actor: partyOf(loaded.row),
        subject: partyOf(loaded.row),
        meta,
        detail: { method: input.method },
      }),
  });

  const setupId = createId(deps.random, "stp");
  const expiresAt = addSeconds(now, SETUP_TTL_IN_SECONDS);
  const secret = input.method === "totp" ? createTotpSecret(deps.random.bytes(TOTP_SECRET_BYTES)) : null;
  await deps.db.transaction(async (tx) => {
    // R1, R3, R6 again on the user's row, locked as the team actions lock it: a concurrent SSO flag or
    // status change either comes first (and this setup is refused) or waits and cancels it.
    await tx.select({ id: users.id }).from(users).where(eq(users.id, loaded.row.id)).for("no key update");
    const current = await loadUser(tx, { id: loaded.row.id });
    if (!current) throw new AppError("UNAUTHENTICATED");
    const still = canStartSetup(current.user, current.twoFactor, input.method);
    if (!still.ok) throw new AppError(still.reason);
    await tx.delete(twoFactorSetups).where(eq(twoFactorSetups.userId, loaded.row.id));
    await tx.insert(twoFactorSetups).values({
      userId: loaded.row.id,
      id: setupId,
      method: input.method,
      secretCiphertext: secret
        ? sealSecret(deps.keys, deps.random, { plaintext: secret, userId: loaded.row.id })
        : null,
      expiresAt,
      createdAt: now,
    });
    await recordAuditEvent(tx, deps, {
      accountId: loaded.row.accountId,
      type: "two_factor.setup_started",
      actor: partyOf(loaded.row),
      subject: partyOf(loaded.row),
      meta,
      detail: { method: input.method },
    });
    if (input.method !== "email") return;
    await issueEmailCode(tx, deps, {
      send: "first",
      userId: loaded.row.id,
      purpose: "setup",
      bindingId: setupId,
      now,
      expiresAt,
      to: loaded.row.email,
    });
  });

  if (secret) {
    const otpauthUri = buildOtpauthUri({ secret, accountName: loaded.row.email });
    const qrCode = `data:image/svg+xml;base64,${Buffer.from(await QRCode.toString(otpauthUri, { type: "svg", margin: 1 })).toString("base64")}`;
    return { method: "totp", secret, otpauthUri, qrCode, expiresAt: expiresAt.toISOString() };
  }
  return { method: "email", maskedEmail: maskEmail(loaded.row.email), expiresAt: expiresAt.toISOString() };
}
