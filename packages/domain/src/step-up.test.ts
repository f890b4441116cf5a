import { describe, expect, it } from "vitest";
import { STEP_UP_TTL_IN_SECONDS } from "./constants.js";
import type { Member, MemberRole } from "./entities.js";
import { allow, refuse } from "./errors.js";
import {
  canTakeGatedTeamActions,
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
      "enableTeamManager",
      "signOutMember",
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
    [
      "enabling a disabled member without team-management roles",
      { ...member, status: "disabled" },
      { status: "active" },
      [],
    ],
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

const disabledAdministrator: Pick<Member, "status" | "roles" | "isSso"> = {
  status: "disabled",
  roles: ["administrator"],
  isSso: false,
};

describe("Step-up gap (issue 13): re-activating a disabled Administrator needs a code, as inviting one does", () => {
  it.each<[string, Pick<Member, "status" | "roles" | "isSso">, MemberChange, StepUpAction[]]>([
    ["enabling a disabled Administrator", disabledAdministrator, { status: "active" }, ["enableTeamManager"]],
    [
      "enabling a disabled member who is an Administrator among other roles",
      { ...disabledAdministrator, roles: ["auditor", "administrator"] },
      { status: "active", remark: "back" },
      ["enableTeamManager"],
    ],
    [
      "enabling a disabled Auditor (it may only view)",
      { ...disabledAdministrator, roles: ["auditor"] },
      { status: "active" },
      [],
    ],
    [
      "enabling a disabled Project User and making it an Administrator",
      { ...disabledAdministrator, roles: ["project_user"] },
      { status: "active", roles: ["administrator"] },
      ["enableTeamManager", "changeRoles"],
    ],
    [
      "enabling a disabled Administrator and making it a Project User (the role change is gated)",
      disabledAdministrator,
      { status: "active", roles: ["project_user"] },
      ["changeRoles"],
    ],
    [
      "enabling a disabled Administrator with the same roles given again",
      disabledAdministrator,
      { status: "active", roles: ["administrator"] },
      ["enableTeamManager"],
    ],
    [
      "an active Administrator set active (no change)",
      { ...disabledAdministrator, status: "active" },
      { status: "active" },
      [],
    ],
    [
      "a pending Administrator set active (refused by the status rule, not by step-up)",
      { ...disabledAdministrator, status: "pending" },
      { status: "active" },
      [],
    ],
    ["a disabled Administrator's remark", disabledAdministrator, { remark: "on leave" }, []],
    [
      "giving the Administrator role to a disabled member",
      { ...disabledAdministrator, roles: ["project_user"] },
      { roles: ["project_user", "administrator"] },
      ["changeRoles"],
    ],
    [
      "giving the Administrator role to an active member",
      member,
      { roles: ["administrator"] },
      ["changeRoles"],
    ],
  ])("Step-up gap: %s", (_label, current, change, expected) => {
    expect(memberChangeStepUpActions(current, change)).toEqual(expected);
  });

  it.each<[MemberRole[], boolean]>([
    [["administrator"], true],
    [["accountant", "administrator"], true],
    [["auditor"], false],
    [["project_admin"], false],
    [["project_user"], false],
    [["accountant"], false],
    [["auditor", "project_admin", "project_user", "accountant"], false],
    [[], false],
  ])("Step-up gap: the roles %j may take gated team actions → %s", (roles, expected) => {
    expect(canTakeGatedTeamActions(roles)).toBe(expected);
  });
});
