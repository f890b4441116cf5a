import { TOTP_DIGITS } from "@cloud2fa/domain";

/** S1: clients strip spaces and separators; only the first six digits count ("123 456", "123-456"). */
export function extractCode(text: string): string {
  return text.replace(/[^0-9]/g, "").slice(0, TOTP_DIGITS);
}

export function isCompleteCode(code: string): boolean {
  return code.length === TOTP_DIGITS;
}

/** A manual key is easier to type in groups of four: "JBSW Y3DP EHPK 3PXP". */
export function groupKey(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

export function formatCountdown(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}
