import { MIN_PASSWORD_LENGTH } from "@cloud2fa/domain";
import { dictionary } from "@zxcvbn-ts/language-common";

let common: ReadonlySet<string> | null = null;

/**
 * §6.3: the most common passwords of zxcvbn-ts's maintained list (about 49,000 from breaches),
 * lower-cased. Only those long enough to pass the length rule can decide anything, so only those
 * are kept; built on first use.
 */
export function isCommonPassword(lowerCased: string): boolean {
  common ??= new Set(
    dictionary["passwords-common"]
      .filter((password) => [...password].length >= MIN_PASSWORD_LENGTH)
      .map((password) => password.toLowerCase()),
  );
  return common.has(lowerCased);
}
