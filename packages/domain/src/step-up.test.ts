import { describe, expect, it } from "vitest";
import { STEP_UP_TTL_IN_SECONDS } from "./constants.js";
import type { Member, MemberRole } from "./entities.js";
import { allow, refuse } from "./errors.js";
import {
  invitationStepUpActions,
  type MemberChange,
  memberChangeStepUpActions,
  type StepUpAction,
  type StepUpState,
  sameRoles,
  steppedUpUntil,
  stepUpActions,
  stepUpDecision,
} from "./step-up.js";

const t0 = new Date("2026-01-01T00:00:00Z");

function at(seconds: number): Date {
  return new Date(t0.getTime() + seconds * 1000);
}

describe("Step-up window", () => {
  it("lasts 10 minutes", () => {
    expect(STEP_UP_TTL_IN_SECONDS).toBe(600);
    expect(steppedUpUntil(t0)).toEqual(at(600));
  });

  it.each<[string, StepUpState, number, ReturnType<typeof stepUpDecision>]>([
    ["actor without 2FA, never stepped up", { actorHasTwoFactor: false, steppedUpAt: null }, 0, allow],
    ["actor without 2FA, long ago", { actorHasTwoFactor: false, steppedUpAt: t0 }, 86_400, allow],
    [
      "actor with 2FA, never stepped up",
      { actorHasTwoFactor: true, steppedUpAt: null },
      0,
      refuse("STEP_UP_REQUIRED"),
    ],
    ["code entered just now", { actorHasTwoFactor: true, steppedUpAt: t0 }, 0, allow],
    ["599.999 s later", { actorHasTwoFactor: true, steppedUpAt: t0 }, 599.999, allow],
    ["exactly 600 s later", { actorHasTwoFactor: true, steppedUpAt: t0 }, 600, refuse("STEP_UP_REQUIRED")],
    ["601 s later", { actorHasTwoFactor: true, steppedUpAt: t0 }, 601, refuse("STEP_UP_REQUIRED")],
  ])("Step-up: %s", (_label, state, seconds, expected) => {
    expect(stepUpDecision(state, at(seconds))).toEqual(expected);
  });
});

const member: Pick<Member, "status" | "roles" | "isSso"> = {
  status: "active",
  roles: ["project_user", "auditor"],
  isSso: false,
};

describe("Step-up: which member changes are sensitive", () => {
  it("names every sensitive action", () => {
    expect([...stepUpActions]).toEqual([
      "removeTwoFactor",
      "deleteMember",
      "disableMember",
      "changeRoles",
      "changeSso",
      "changeTeamSettings",
      "inviteTeamManager",
    ]);
  });

  it.each<[string, Pick<Member, "status" | "roles" | "isSso">, MemberChange, StepUpAction[]]>([
    ["remark only", member, { remark: "on leave" }, []],
    ["disabling an active member", member, { status: "disabled" }, ["disableMember"]],
    [
      "disabling a disabled member (no change)",
      { ...member, status: "disabled" },
      { status: "disabled" },
      [],
    ],
    ["enabling a disabled member", { ...member, status: "disabled" }, { status: "active" }, []],
    ["active to active", member, { status: "active" }, []],
    ["other roles", member, { roles: ["administrator"] }, ["changeRoles"]],
    ["one role more", member, { roles: ["project_user", "auditor", "accountant"] }, ["changeRoles"]],
    ["one role less", member, { roles: ["project_user"] }, ["changeRoles"]],
    [
      "the same roles, reordered and repeated",
      member,
      { roles: ["auditor", "project_user", "auditor"] as MemberRole[] },
      [],
    ],
    ["setting SSO", member, { sso: true }, ["changeSso"]],
    ["clearing SSO", { ...member, isSso: true }, { sso: false }, ["changeSso"]],
    ["SSO unchanged", member, { sso: false }, []],
    [
      "everything at once",
      member,
      { status: "disabled", roles: ["administrator"], sso: true, remark: "x" },
      ["disableMember", "changeRoles", "changeSso"],
    ],
  ])("Step-up: %s", (_label, current, change, expected) => {
    expect(memberChangeStepUpActions(current, change)).toEqual(expected);
  });
});

describe("sameRoles: a set of roles, whatever the order or repetition", () => {
  it.each<[MemberRole[], MemberRole[], boolean]>([
    [["auditor", "project_user"], ["project_user", "auditor"], true],
    [["auditor", "auditor"], ["auditor"], true],
    [[], [], true],
    [["auditor"], ["auditor", "project_user"], false],
    [["auditor", "project_user"], ["auditor", "administrator"], false],
  ])("sameRoles(%o, %o) → %s", (a, b, expected) => {
    expect(sameRoles(a, b)).toBe(expected);
    expect(sameRoles(b, a)).toBe(expected);
  });
});

describe("Step-up: which invitations are sensitive", () => {
  it.each<[MemberRole[], StepUpAction[]]>([
    [["administrator"], ["inviteTeamManager"]],
    [["project_user", "administrator"], ["inviteTeamManager"]],
    [["auditor"], []],
    [["project_admin", "project_user", "accountant"], []],
    [["auditor", "accountant"], []],
  ])("Step-up: inviting a member with the roles %j → %j", (roles, expected) => {
    expect(invitationStepUpActions(roles)).toEqual(expected);
  });
});
