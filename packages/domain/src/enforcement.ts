import type { User } from "./entities.js";
import { isPast } from "./time.js";

const DAY_IN_MS = 24 * 60 * 60 * 1000;

/** The team policy "Require 2FA for members", set by the root user; `deadline` null means at once. */
export interface MemberTwoFactorPolicy {
  required: boolean;
  deadline: Date | null;
}

export const memberEnrolmentStates = ["not_required", "grace", "required_now"] as const;

export type MemberEnrolment =
  | { state: "not_required" }
  | { state: "grace"; daysLeft: number }
  | { state: "required_now" };

const notRequired: MemberEnrolment = Object.freeze({ state: "not_required" });

/**
 * Whether the team policy obliges this user to enrol now. Root users, SSO members (R6) and members with 2FA
 * are never obliged; neither are pending or disabled members, who cannot sign in (and R1 bars them from enrolling).
 * Before the deadline the member is in grace, `daysLeft` counted up (any part of a day is a day).
 */
export function memberEnrolment(
  input: { policy: MemberTwoFactorPolicy; user: User; hasTwoFactor: boolean },
  now: Date,
): MemberEnrolment {
  const { policy, user } = input;
  if (!policy.required || user.kind === "root" || input.hasTwoFactor) return notRequired;
  if (user.isSso || user.status !== "active") return notRequired;
  if (policy.deadline === null || isPast(policy.deadline, now)) return { state: "required_now" };
  return { state: "grace", daysLeft: Math.ceil((policy.deadline.getTime() - now.getTime()) / DAY_IN_MS) };
}

/** The 2FA column filter of the Team page. */
export const twoFactorFilters = ["all", "enabled", "not_enabled", "exempt"] as const;
export type TwoFactorFilter = (typeof twoFactorFilters)[number];

export interface ComplianceMember {
  isSso: boolean;
  hasTwoFactor: boolean;
  isTwoFactorLocked?: boolean;
}

export interface TeamCompliance {
  total: number;
  enabled: number;
  /** Members who could enrol but have not (pending and disabled ones included). */
  notEnabled: number;
  /** SSO members: their identity provider owns the second factor (R6). */
  exempt: number;
  /** Enabled factors locked by the hard cap, counted within `enabled`. */
  locked: number;
}

export function matchesTwoFactorFilter(member: ComplianceMember, filter: TwoFactorFilter): boolean {
  switch (filter) {
    case "all":
      return true;
    case "enabled":
      return member.hasTwoFactor;
    case "exempt":
      return member.isSso;
    case "not_enabled":
      return !member.hasTwoFactor && !member.isSso;
  }
}

/** The Team page's compliance counts, over the whole team. */
export function teamCompliance(members: readonly ComplianceMember[]): TeamCompliance {
  const count = (filter: TwoFactorFilter) =>
    members.filter((member) => matchesTwoFactorFilter(member, filter)).length;
  return {
    total: members.length,
    enabled: count("enabled"),
    notEnabled: count("not_enabled"),
    exempt: count("exempt"),
    locked: members.filter((member) => member.hasTwoFactor && member.isTwoFactorLocked === true).length,
  };
}
