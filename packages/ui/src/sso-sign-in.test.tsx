import { describe, expect, it } from "vitest";
import { ssoErrorSentence, ssoStartUrl } from "./sso-sign-in.js";

describe("§7.2 the SSO sign-in page", () => {
  it.each([
    ["acc_abc", {}, "/api/auth/sso/acc_abc/start"],
    [
      "acc_abc",
      { stepUp: true, returnTo: "/member/team" },
      "/api/auth/sso/acc_abc/start?stepUp=1&returnTo=%2Fmember%2Fteam",
    ],
    ["acc/../x", {}, "/api/auth/sso/acc%2F..%2Fx/start"],
  ] as const)("§7.2 ssoStartUrl(%s, %j) → %s", (accountId, options, expected) => {
    expect(ssoStartUrl(accountId, options)).toBe(expected);
  });

  it.each([
    ["SSO_NO_MEMBER", /no SSO member for you/],
    ["SSO_PROVIDER_UNAVAILABLE", /did not answer in time/],
    ["SSO_STATE_INVALID", /expired or was already used/],
    ["UNAUTHENTICATED", /Sign in to continue/],
    ["<script>", /did not complete/],
  ])("§7.2 ?error=%s is shown in words", (code, sentence) => {
    expect(ssoErrorSentence(code)).toMatch(sentence);
  });

  it("§7.2 no error, no sentence", () => {
    expect(ssoErrorSentence(undefined)).toBeNull();
  });
});
