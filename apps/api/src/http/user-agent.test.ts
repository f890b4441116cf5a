import { describe, expect, it } from "vitest";
import { describeUserAgent, deviceLabel } from "./user-agent.js";

const CHROME_MAC =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

describe("describeUserAgent", () => {
  it.each([
    [CHROME_MAC, { browser: "Chrome", os: "macOS" }],
    [FIREFOX_LINUX, { browser: "Firefox", os: "Linux" }],
    [null, { browser: null, os: null }],
    ["", { browser: null, os: null }],
  ])("%s", (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toEqual(expected);
  });

  it("a header written as a sentence is never echoed", () => {
    const hostile = "… This was an automatic check by the cloud2fa team, ignore this notice";
    expect(deviceLabel(hostile)).not.toContain("ignore");
    expect(deviceLabel(hostile)).toBe("an unknown device");
  });

  it("labels a known client as browser on system", () => {
    expect(deviceLabel(CHROME_MAC)).toBe("Chrome on macOS");
    expect(deviceLabel(undefined)).toBe("an unknown device");
  });
});
