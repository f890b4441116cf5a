import { describe, expect, it } from "vitest";
import {
  type ComplianceMember,
  matchesTwoFactorFilter,
  memberEnrolment,
  type TwoFactorFilter,
  teamCompliance,
} from "./enforcement.js";
import type { Member, MemberStatus, RootUser } from "./entities.js";

const now = new Date("2026-03-10T12:00:00.000Z");
const at = (offsetInMs: number) => new Date(now.getTime() + offsetInMs);
const DAY = 24 * 60 * 60 * 1000;

function member(overrides: { status?: MemberStatus; isSso?: boolean } = {}): Member {
  return {
    kind: "member",
    id: "mem_enforcement",
    accountId: "acc_enforcement",
    email: "member@example.com",
    roles: ["project_user"],
    status: overrides.status ?? "active",
    isSso: overrides.isSso ?? false,
  };
}

const root: RootUser = {
  kind: "root",
  id: "usr_enforcement",
  accountId: "acc_enforcement",
  email: "root@example.com",
  isEmailVerified: true,
};

describe("Require 2FA for members: memberEnrolment", () => {
  const required = { required: true, deadline: null };

  it.each([
    ["the policy is off", { required: false, deadline: null }, member(), false],
    [
      "the policy is off, even with a past deadline",
      { required: false, deadline: at(-DAY) },
      member(),
      false,
    ],
    ["the user is the root user", required, root, false],
    ["the member already uses 2FA", required, member(), true],
    ["R6 the member is an SSO account", required, member({ isSso: true }), false],
    ["R1 the member is pending", required, member({ status: "pending" }), false],
    ["the member is disabled", required, member({ status: "disabled" }), false],
  ] as const)("not required when %s", (_label, policy, user, hasTwoFactor) => {
    expect(memberEnrolment({ policy, user, hasTwoFactor }, now)).toEqual({ state: "not_required" });
  });

  it.each([
    ["no deadline", null, { state: "required_now" }],
    ["a deadline long past", at(-30 * DAY), { state: "required_now" }],
    ["the deadline exactly now", at(0), { state: "required_now" }],
    ["the deadline 1 ms ahead", at(1), { state: "grace", daysLeft: 1 }],
    ["the deadline 23 h 59 min ahead", at(DAY - 60_000), { state: "grace", daysLeft: 1 }],
    ["the deadline exactly 1 day ahead", at(DAY), { state: "grace", daysLeft: 1 }],
    ["the deadline 1 day and 1 ms ahead", at(DAY + 1), { state: "grace", daysLeft: 2 }],
    ["the deadline exactly 5 days ahead", at(5 * DAY), { state: "grace", daysLeft: 5 }],
    ["the deadline 4.5 days ahead", at(4.5 * DAY), { state: "grace", daysLeft: 5 }],
  ] as const)("an active member without 2FA, policy on with %s → %o", (_label, deadline, expected) => {
    expect(
      memberEnrolment({ policy: { required: true, deadline }, user: member(), hasTwoFactor: false }, now),
    ).toEqual(expected);
  });
});

describe("Require 2FA for members: Team page compliance", () => {
  const enabled: ComplianceMember = { isSso: false, hasTwoFactor: true };
  const locked: ComplianceMember = { isSso: false, hasTwoFactor: true, isTwoFactorLocked: true };
  const without: ComplianceMember = { isSso: false, hasTwoFactor: false };
  const sso: ComplianceMember = { isSso: true, hasTwoFactor: false };

  it.each<[ComplianceMember, TwoFactorFilter, boolean]>([
    [enabled, "all", true],
    [enabled, "enabled", true],
    [enabled, "not_enabled", false],
    [enabled, "exempt", false],
    [locked, "enabled", true],
    [without, "all", true],
    [without, "enabled", false],
    [without, "not_enabled", true],
    [without, "exempt", false],
    [sso, "all", true],
    [sso, "enabled", false],
    [sso, "not_enabled", false],
    [sso, "exempt", true],
  ])("%o with the filter %s → %s", (candidate, filter, expected) => {
    expect(matchesTwoFactorFilter(candidate, filter)).toBe(expected);
  });

  it("counts the whole team: 8 of 10 use 2FA, 1 SSO exempt, 1 without", () => {
    const team = [...Array.from({ length: 7 }, () => enabled), locked, sso, without];
    expect(teamCompliance(team)).toEqual({ total: 10, enabled: 8, notEnabled: 1, exempt: 1, locked: 1 });
  });

  it("counts an empty team as zeros", () => {
    expect(teamCompliance([])).toEqual({ total: 0, enabled: 0, notEnabled: 0, exempt: 0, locked: 0 });
  });
});
