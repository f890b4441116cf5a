import Bowser from "bowser";

/** What people call a client: its browser and operating system, parsed by a maintained library. */
export interface DeviceDescription {
  browser: string | null;
  os: string | null;
}

/** The longest User-Agent kept (audit rows keep the raw value, bounded); longer ones are cut. */
export const USER_AGENT_MAX_LENGTH = 512;

const NAME_PATTERN = /^[\p{L}\p{N} ._()/-]{1,40}$/u;

/**
 * Only names the parser recognised are kept, so a client cannot put its own sentence into a mail or a
 * page through its User-Agent header.
 */
function knownName(name: string | undefined): string | null {
  return name && NAME_PATTERN.test(name) ? name : null;
}

export function describeUserAgent(userAgent: string | null | undefined): DeviceDescription {
  if (!userAgent) return { browser: null, os: null };
  const parsed = Bowser.parse(userAgent.slice(0, USER_AGENT_MAX_LENGTH));
  return { browser: knownName(parsed.browser.name), os: knownName(parsed.os.name) };
}

/** "Chrome on macOS", "Firefox", "an unknown device": for mails and pages. */
export function deviceLabel(userAgent: string | null | undefined): string {
  const { browser, os } = describeUserAgent(userAgent);
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? "an unknown device";
}
