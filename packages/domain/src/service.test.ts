import { describe, expect, it } from "vitest";
import {
  canManageServiceCredentials,
  holdOfIntrospection,
  holdsAnyRole,
  isSessionVisibleTo,
  stepUpStateOfIntrospection,
} from "./service.js";
import { stepUpDecision } from "./step-up.js";

const at = new Date("2026-03-02T09:00:00.000Z");

describe("§8 rules for other services", () => {
  it.each([
    ["root", true],
    ["member", false],
  ] as const)("§8.1 a %s user may manage service credentials: %s", (kind, expected) => {
    expect(canManageServiceCredentials({ kind }).ok).toBe(expected);
  });

  it.each([
    [{ accountId: "acc_a" }, "acc_a", true],
    [{ accountId: "acc_a" }, "acc_b", false],
    [{ accountId: null }, "acc_b", true],
  ])("§8.2 credential %j sees a session of %s: %s", (credential, accountId, expected) => {
    expect(isSessionVisibleTo(credential, accountId)).toBe(expected);
  });

  it.each([
    [{ twoFactorEnabled: false, steppedUpUntil: null }, 0, true],
    [{ twoFactorEnabled: true, steppedUpUntil: null }, 0, false],
    [{ twoFactorEnabled: true, steppedUpUntil: "2026-03-02T09:10:00.000Z" }, 599, true],
    [{ twoFactorEnabled: true, steppedUpUntil: "2026-03-02T09:10:00.000Z" }, 600, false],
  ])("§8.2 step-up from an answer %j, %i s later: allowed %s", (answer, seconds, expected) => {
    const now = new Date(at.getTime() + seconds * 1000);
    expect(stepUpDecision(stepUpStateOfIntrospection(answer), now).ok).toBe(expected);
  });

  it.each([
    [false, false, null],
    [true, false, "PASSWORD_CHANGE_REQUIRED"],
    [false, true, "TWO_FACTOR_ENROLMENT_REQUIRED"],
    [true, true, "PASSWORD_CHANGE_REQUIRED"],
  ] as const)(
    "§8.2 password change %s, enrolment %s: hold %s",
    (passwordChangeRequired, enrolmentRequired, hold) => {
      expect(holdOfIntrospection({ passwordChangeRequired, enrolmentRequired })).toBe(hold);
    },
  );

  it.each([
    [{ kind: "root", roles: [] }, ["administrator"], true],
    [{ kind: "member", roles: ["auditor"] }, ["administrator", "project_admin"], false],
    [{ kind: "member", roles: ["auditor", "project_admin"] }, ["project_admin"], true],
  ] as const)("§1 %j holds one of %j: %s", (user, wanted, expected) => {
    expect(holdsAnyRole(user, wanted)).toBe(expected);
  });
});
