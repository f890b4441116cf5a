import { describe, expect, it } from "vitest";
import { type Member, type MemberRole, memberRoles, type RootUser } from "./entities.js";
import { allow, refuse } from "./errors.js";
import {
  canChangeTeamSettings,
  canPerformTeamAction,
  canPerformTeamActionOn,
  type TeamAction,
  teamActions,
  teamPermissions,
  teamPermissionsOn,
} from "./team.js";

function member(roles: readonly MemberRole[]): Member {
  return {
    kind: "member",
    id: "mem_team_actor",
    accountId: "acc_team",
    email: "actor@example.com",
    roles,
    status: "active",
    isSso: false,
  };
}

const root: RootUser = {
  kind: "root",
  id: "usr_team_root",
  accountId: "acc_team",
  email: "root@example.com",
  isEmailVerified: true,
};

// The expected grants, written out from SPEC §1 (administrators everything but 2FA removal; auditors view).
const administratorGrants: readonly TeamAction[] = [
  "view",
  "invite",
  "changeStatus",
  "changeRoles",
  "changeSso",
  "editRemark",
  "delete",
  "readAudit",
  "signOutMember",
];
const auditorGrants: readonly TeamAction[] = ["view", "readAudit"];

const actors: [string, readonly MemberRole[], readonly TeamAction[]][] = [
  ["administrator", ["administrator"], administratorGrants],
  ["project_admin", ["project_admin"], []],
  ["project_user", ["project_user"], []],
  ["accountant", ["accountant"], []],
  ["auditor", ["auditor"], auditorGrants],
  ["no role", [], []],
  ["project_admin + project_user + accountant", ["project_admin", "project_user", "accountant"], []],
  ["auditor + project_user", ["auditor", "project_user"], auditorGrants],
  ["auditor + accountant", ["accountant", "auditor"], auditorGrants],
  ["administrator + auditor", ["administrator", "auditor"], administratorGrants],
  ["administrator + project_admin", ["project_admin", "administrator"], administratorGrants],
  [
    "every role",
    ["administrator", "project_admin", "project_user", "accountant", "auditor"],
    administratorGrants,
  ],
];

const cases = actors.flatMap(([label, roles, grants]) =>
  teamActions.map((action) => ({
    label,
    roles,
    action,
    ...(grants.includes(action)
      ? { outcome: "allowed", expected: allow }
      : action === "removeTwoFactor"
        ? {
            outcome: "R5 ONLY_ROOT_CAN_REMOVE_TWO_FACTOR",
            expected: refuse("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR"),
          }
        : { outcome: "FORBIDDEN", expected: refuse("FORBIDDEN") }),
  })),
);

describe("team actions of a member, by role (SPEC §1)", () => {
  it.each(cases)("a member with $label → $action: $outcome", ({ roles, action, expected }) => {
    expect(canPerformTeamAction(member(roles), action)).toEqual(expected);
  });

  it.each(actors)("teamPermissions of a member with %s lists exactly its grants", (_label, roles, grants) => {
    const permissions = teamPermissions(member(roles));
    expect(Object.keys(permissions).sort()).toEqual([...teamActions].sort());
    for (const action of teamActions) expect(permissions[action]).toBe(grants.includes(action));
  });
});

describe("R5 only the root user can delete a member's 2FA", () => {
  it.each(actors)(
    "R5 a member with %s is refused removeTwoFactor with ONLY_ROOT_CAN_REMOVE_TWO_FACTOR",
    (_label, roles) => {
      expect(canPerformTeamAction(member(roles), "removeTwoFactor")).toEqual(
        refuse("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR"),
      );
      expect(teamPermissions(member(roles)).removeTwoFactor).toBe(false);
    },
  );

  it("R5 R9 the root user may remove a member's 2FA", () => {
    expect(canPerformTeamAction(root, "removeTwoFactor")).toEqual(allow);
  });
});

describe("the root user may do everything on the Team page", () => {
  it.each(teamActions)("root user → %s: allowed", (action) => {
    expect(canPerformTeamAction(root, action)).toEqual(allow);
    expect(teamPermissions(root)[action]).toBe(true);
  });
});

describe("team settings and the Require-2FA policy are the root user's alone", () => {
  it("the root user may change them", () => {
    expect(canChangeTeamSettings(root)).toEqual(allow);
  });
  it.each(memberRoles.map((role) => [role]))("a member with the role %s may not (FORBIDDEN)", (role) => {
    expect(canChangeTeamSettings(member([role]))).toEqual(refuse("FORBIDDEN"));
  });
});

describe("nobody changes its own membership", () => {
  const administrator = member(["administrator"]);
  // Written out: what an administrator may not do to itself, though it may do it to any other member.
  const ownRefused: readonly TeamAction[] = [
    "changeStatus",
    "changeRoles",
    "changeSso",
    "delete",
    "signOutMember",
  ];

  it.each(teamActions)("an administrator → %s on itself", (action) => {
    const expected = ownRefused.includes(action)
      ? refuse("CANNOT_CHANGE_OWN_MEMBERSHIP")
      : canPerformTeamAction(administrator, action);
    expect(canPerformTeamActionOn(administrator, administrator.id, action)).toEqual(expected);
    expect(teamPermissionsOn(administrator, administrator.id)[action]).toBe(expected.ok);
  });

  it.each(teamActions)("an administrator → %s on another member: as teamPermissions says", (action) => {
    expect(canPerformTeamActionOn(administrator, "mem_other", action)).toEqual(
      canPerformTeamAction(administrator, action),
    );
    expect(teamPermissionsOn(administrator, "mem_other")).toEqual(teamPermissions(administrator));
  });

  it("a role's own refusal comes first: an auditor deleting itself is FORBIDDEN", () => {
    const auditor = member(["auditor"]);
    expect(canPerformTeamActionOn(auditor, auditor.id, "delete")).toEqual(refuse("FORBIDDEN"));
    expect(canPerformTeamActionOn(auditor, auditor.id, "view")).toEqual(allow);
  });

  it.each(teamActions)("the root user → %s on any member: allowed", (action) => {
    expect(canPerformTeamActionOn(root, "mem_other", action)).toEqual(allow);
  });
});

describe("§6.5 signing a member out everywhere", () => {
  it.each<[string, Member | RootUser, string, ReturnType<typeof canPerformTeamActionOn>]>([
    ["the root user, on a member", root, "mem_other", allow],
    ["an administrator, on another member", member(["administrator"]), "mem_other", allow],
    [
      "an administrator, on itself",
      member(["administrator"]),
      "mem_team_actor",
      refuse("CANNOT_CHANGE_OWN_MEMBERSHIP"),
    ],
    ["an auditor", member(["auditor"]), "mem_other", refuse("FORBIDDEN")],
    ["a project user", member(["project_user"]), "mem_other", refuse("FORBIDDEN")],
  ])("§6.5 %s", (_label, actor, memberId, expected) => {
    expect(canPerformTeamActionOn(actor, memberId, "signOutMember")).toEqual(expected);
  });
});
