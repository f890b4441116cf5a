import {
  addSeconds,
  checkEmailCode,
  createEmailCode,
  EMAIL_CODE_RANDOM_BYTES,
  EMAIL_CODE_TTL_IN_SECONDS,
  type EmailCodePurpose,
  hashEmailCode,
  verifyTotpCode,
} from "@cloud2fa/domain";
import { NodeCryptoPlugin } from "@otplib/plugin-crypto-node";
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { codeHashKey, openSecret } from "../../crypto/secret-box.js";
import { createId } from "../../crypto/tokens.js";
import { type Queryable, queryRows, type Tx } from "../../db/connect.js";
import { emailCodes, twoFactors } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { emailCodeMessage } from "../../mail/messages.js";
import { chargeUserEmailSend } from "../limits/email-sends.js";
import { outboxInsertStatement } from "../mail.js";

/** Node's own HMAC for TOTP: a sixth of a verification's CPU went to the portable one (bench/README.md). */
const nativeHmac = new NodeCryptoPlugin();

export type CodeSource =
  | { kind: "totp"; sealedSecret: string | null; lastAcceptedStep: number | null }
  | { kind: "email"; purpose: EmailCodePurpose; bindingId: string };

/** The code of an enabled factor that confirms an action: the app's step, or the mailed action code. */
export function enabledFactorSource(
  factor: Pick<typeof twoFactors.$inferSelect, "method" | "secretCiphertext" | "lastAcceptedStep">,
  userId: string,
): CodeSource {
  return factor.method === "totp"
    ? { kind: "totp", sealedSecret: factor.secretCiphertext, lastAcceptedStep: factor.lastAcceptedStep }
    : { kind: "email", purpose: "action", bindingId: userId };
}

export type CodeMatch = { kind: "totp"; step: number } | { kind: "email"; emailCodeId: string };

/**
 * S1, S3: mail a new code bound to one purpose and binding (challenge, setup or action), killing
 * the previous one; the send is charged to the user's mail budget. The code's mail is queued in the
 * statement that stores its hash (sealed in the outbox, issue 13), in the caller's transaction. A mail
 * that replaces a live code of the same binding is a resend, whatever the caller says (S3's cooldown:
 * asking for a second action code within a minute waits like a sign-in resend).
 */
export async function issueEmailCode(
  tx: Tx,
  deps: Pick<Deps, "keys" | "random" | "clock" | "outbox">,
  input: {
    userId: string;
    purpose: EmailCodePurpose;
    bindingId: string;
    now: Date;
    expiresAt?: Date;
    /** A resend of the same challenge waits for the cooldown; a first mail does not. */
    send: "first" | "resend";
    /** The address the code is mailed to. */
    to: string;
  },
): Promise<void> {
  const replaced = await tx
    .delete(emailCodes)
    .where(
      and(
        eq(emailCodes.userId, input.userId),
        eq(emailCodes.purpose, input.purpose),
        isNull(emailCodes.consumedAt),
      ),
    )
    .returning({ bindingId: emailCodes.bindingId, expiresAt: emailCodes.expiresAt });
  const isResend = replaced.some((code) => code.bindingId === input.bindingId && code.expiresAt > input.now);
  // A refused charge throws, and the transaction puts the deleted code back.
  await chargeUserEmailSend(tx, {
    userId: input.userId,
    now: input.now,
    kind: isResend ? "resend" : input.send,
  });
  const hashKey = codeHashKey(deps.keys);
  if (!hashKey) throw new Error("no encryption key");
  const code = createEmailCode(deps.random.bytes(EMAIL_CODE_RANDOM_BYTES));
  const ttlEndsAt = addSeconds(input.now, EMAIL_CODE_TTL_IN_SECONDS);
  const id = createId(deps.random, "eml");
  const codeHash = hashEmailCode(hashKey.key, { purpose: input.purpose, bindingId: input.bindingId, code });
  // S1: never longer than its challenge.
  const expiresAt = input.expiresAt && input.expiresAt < ttlEndsAt ? input.expiresAt : ttlEndsAt;
  const mail = emailCodeMessage(input.to, {
    code,
    purpose: input.purpose,
    ttlInSeconds: EMAIL_CODE_TTL_IN_SECONDS,
  });
  await queryRows(
    tx,
    sql`with code as (
      insert into email_codes (id, user_id, purpose, binding_id, key_id, code_hash, expires_at, created_at)
      values (${id}, ${input.userId}, ${input.purpose}, ${input.bindingId}, ${hashKey.id}, ${codeHash},
        ${expiresAt.toISOString()}::timestamptz, ${input.now.toISOString()}::timestamptz))
    ${outboxInsertStatement(deps, [mail])}`,
  );
}

export type EmailCodeCandidate = Pick<
  typeof emailCodes.$inferSelect,
  "id" | "keyId" | "codeHash" | "purpose" | "bindingId" | "expiresAt" | "consumedAt"
>;

/** S1: the live, unused candidate the code matches, compared in constant time (domain). */
export function matchEmailCandidates(
  deps: Pick<Deps, "keys">,
  candidates: readonly EmailCodeCandidate[],
  input: { purpose: EmailCodePurpose; bindingId: string; code: string; now: Date },
): CodeMatch | null {
  for (const record of candidates) {
    const hashKey = codeHashKey(deps.keys, record.keyId);
    if (!hashKey) continue;
    if (checkEmailCode(hashKey.key, record, input).ok) return { kind: "email", emailCodeId: record.id };
  }
  return null;
}

/** S1, S2: the step of a TOTP code under the sealed secret, after the last accepted step. */
export function matchTotp(
  deps: Pick<Deps, "keys">,
  input: {
    userId: string;
    sealedSecret: string | null;
    lastAcceptedStep: number | null;
    code: string;
    now: Date;
  },
): CodeMatch | null {
  const secret = input.sealedSecret
    ? openSecret(deps.keys, { sealed: input.sealedSecret, userId: input.userId })
    : null;
  if (!secret) return null;
  const check = verifyTotpCode({
    secret,
    code: input.code,
    now: input.now,
    lastAcceptedStep: input.lastAcceptedStep,
    crypto: nativeHmac,
  });
  return check.ok ? { kind: "totp", step: check.step } : null;
}

/** Checks a code without consuming it; the caller consumes the match in its success transaction. */
export async function matchCode(
  q: Queryable,
  deps: Pick<Deps, "keys">,
  input: { userId: string; code: string; now: Date; source: CodeSource },
): Promise<CodeMatch | null> {
  const { source } = input;
  if (source.kind === "totp") return matchTotp(deps, { ...input, ...source });
  const candidates = await q
    .select()
    .from(emailCodes)
    .where(
      and(
        eq(emailCodes.userId, input.userId),
        eq(emailCodes.bindingId, source.bindingId),
        isNull(emailCodes.consumedAt),
      ),
    );
  return matchEmailCandidates(deps, candidates, { ...source, code: input.code, now: input.now });
}

/**
 * S2: a TOTP step is taken at most once and never at or before the last accepted one; an email
 * code is used once. One conditional write settles concurrent requests, whatever the instance.
 */
export async function consumeEnabledFactorMatch(
  tx: Tx,
  input: { userId: string; match: CodeMatch; now: Date },
): Promise<boolean> {
  if (input.match.kind === "totp") {
    const step = input.match.step;
    const updated = await tx
      .update(twoFactors)
      .set({ lastAcceptedStep: step })
      .where(
        and(
          eq(twoFactors.userId, input.userId),
          or(isNull(twoFactors.lastAcceptedStep), lt(twoFactors.lastAcceptedStep, step)),
        ),
      )
      .returning({ userId: twoFactors.userId });
    return updated.length === 1;
  }
  return consumeEmailCode(tx, input.match.emailCodeId, input.now);
}

export async function consumeEmailCode(tx: Tx, emailCodeId: string, now: Date): Promise<boolean> {
  const consumed = await tx
    .update(emailCodes)
    .set({ consumedAt: now })
    .where(and(eq(emailCodes.id, emailCodeId), isNull(emailCodes.consumedAt)))
    .returning({ id: emailCodes.id });
  return consumed.length === 1;
}

export function assertIsMatch(match: CodeMatch | null): asserts match is CodeMatch {
  if (!match) throw new AppError("INVALID_CODE");
}
