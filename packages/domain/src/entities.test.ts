import { describe, expect, it } from "vitest";
import { emailCodePurposes, memberRoles, memberStatuses, twoFactorMethods } from "./entities.js";

describe("the vocabularies of SPEC §1 and S1", () => {
  it.each<[string, readonly string[], readonly string[]]>([
    [
      "member roles",
      memberRoles,
      ["administrator", "project_admin", "project_user", "accountant", "auditor"],
    ],
    ["member states", memberStatuses, ["pending", "active", "disabled"]],
    ["R7 2FA methods", twoFactorMethods, ["totp", "email"]],
    [
      "S1 email code purposes (sign-in challenge, setup, sensitive action)",
      emailCodePurposes,
      ["sign_in", "setup", "action"],
    ],
  ])("%s", (_label, actual, expected) => {
    expect(actual).toEqual(expected);
  });
});
