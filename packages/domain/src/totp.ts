import { type CryptoPlugin, generateSync, generateURI, ScureBase32Plugin, verifySync } from "otplib";
import {
  TOTP_DIGITS,
  TOTP_ISSUER,
  TOTP_PERIOD_IN_SECONDS,
  TOTP_SECRET_BYTES,
  TOTP_WINDOW_IN_STEPS,
} from "./constants.js";

/** otplib's own Base32 (RFC 4648, unpadded): the alphabet its TOTP functions decode the secret with. */
const base32 = new ScureBase32Plugin();

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: "INVALID_CODE" };

function toEpochSeconds(at: Date): number {
  return Math.floor(at.getTime() / 1000);
}

/** S1: a 20-byte secret from injected random bytes, as unpadded Base32. */
export function createTotpSecret(randomBytes: Uint8Array): string {
  if (randomBytes.length !== TOTP_SECRET_BYTES) {
    throw new RangeError(`a TOTP secret needs exactly ${TOTP_SECRET_BYTES} random bytes`);
  }
  return base32.encode(randomBytes, { padding: false });
}

export function buildOtpauthUri(input: { secret: string; accountName: string; issuer?: string }): string {
  const uri = generateURI({
    issuer: input.issuer ?? TOTP_ISSUER,
    label: input.accountName,
    secret: input.secret,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_IN_SECONDS,
  });
  // otplib omits parameters equal to the Key URI defaults; spell them out for apps that do not assume them.
  return `${uri}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_IN_SECONDS}`;
}

export function totpStepAt(at: Date): number {
  return Math.floor(toEpochSeconds(at) / TOTP_PERIOD_IN_SECONDS);
}

export function generateTotpCode(input: {
  secret: string | Uint8Array;
  at: Date;
  digits?: 6 | 8;
  algorithm?: "sha1" | "sha256" | "sha512";
}): string {
  return generateSync({
    secret: input.secret,
    epoch: toEpochSeconds(input.at),
    digits: input.digits ?? TOTP_DIGITS,
    algorithm: input.algorithm ?? "sha1",
    period: TOTP_PERIOD_IN_SECONDS,
  });
}

/**
 * S1, S2: accept the steps T−1..T+1 of the server clock, and only a step after the last accepted
 * one. The caller still settles the step in one conditional write, so concurrent checks cannot both win.
 * `crypto`: the HMAC otplib computes with; by default its portable (pure JavaScript) one, and a
 * server may inject its platform's native one, which is faster and gives the same codes.
 */
export function verifyTotpCode(input: {
  secret: string;
  code: string;
  now: Date;
  lastAcceptedStep: number | null;
  crypto?: CryptoPlugin;
}): TotpCheck {
  const highestStep = totpStepAt(input.now) + TOTP_WINDOW_IN_STEPS;
  if (input.lastAcceptedStep !== null && input.lastAcceptedStep >= highestStep) {
    return { ok: false, reason: "INVALID_CODE" };
  }
  if (!isSixDigitCode(input.code)) return { ok: false, reason: "INVALID_CODE" };
  const result = verifySync({
    secret: input.secret,
    token: input.code,
    epoch: toEpochSeconds(input.now),
    epochTolerance: TOTP_WINDOW_IN_STEPS * TOTP_PERIOD_IN_SECONDS,
    period: TOTP_PERIOD_IN_SECONDS,
    digits: TOTP_DIGITS,
    ...(input.lastAcceptedStep === null ? {} : { afterTimeStep: input.lastAcceptedStep }),
    ...(input.crypto ? { crypto: input.crypto } : {}),
  });
  return result.valid
    ? { ok: true, step: totpStepAt(input.now) + result.delta }
    : { ok: false, reason: "INVALID_CODE" };
}

/** S1: a code is exactly six ASCII digits; anything else is a validation failure, not an attempt. */
export function isSixDigitCode(value: string): boolean {
  return /^[0-9]{6}$/.test(value);
}
