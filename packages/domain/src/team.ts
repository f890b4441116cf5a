import type { MemberRole, User } from "./entities.js";
import { allow, type Decision, refuse } from "./errors.js";

export const teamActions = [
  "view",
  "invite",
  "changeStatus",
  "changeRoles",
  "changeSso",
  "editRemark",
  "delete",
  "removeTwoFactor",
  "readAudit",
  "signOutMember",
] as const;
export type TeamAction = (typeof teamActions)[number];

/** The optional reason the root user gives when removing a member's 2FA (R9). */
export const MAX_REMOVAL_REASON_LENGTH = 500;

const administratorActions: readonly TeamAction[] = teamActions.filter(
  (action) => action !== "removeTwoFactor", // R5
);

const actionsByRole: Record<MemberRole, readonly TeamAction[]> = {
  administrator: administratorActions,
  auditor: ["view", "readAudit"],
  project_admin: [],
  project_user: [],
  accountant: [],
};

/** The Team-page actions a member with these roles may take: the union of its roles'. */
export function teamActionsOfRoles(roles: readonly MemberRole[]): ReadonlySet<TeamAction> {
  return new Set(roles.flatMap((role) => actionsByRole[role]));
}

/** What the acting user may do on the Team page: the root user everything, a member the union of its roles. */
export function teamPermissions(actor: User): Record<TeamAction, boolean> {
  const granted = actor.kind === "root" ? new Set(teamActions) : teamActionsOfRoles(actor.roles);
  return Object.fromEntries(teamActions.map((action) => [action, granted.has(action)])) as Record<
    TeamAction,
    boolean
  >;
}

export function canPerformTeamAction(actor: User, action: TeamAction): Decision {
  if (teamPermissions(actor)[action]) return allow;
  return refuse(action === "removeTwoFactor" ? "ONLY_ROOT_CAN_REMOVE_TWO_FACTOR" : "FORBIDDEN");
}

/**
 * What nobody does to its own membership, whatever its roles: disable or delete itself, change its own
 * roles, or mark itself an SSO account (which would exempt it from the team's Require-2FA policy, R6),
 * or sign itself out everywhere from the Team page (§6.5: its own Security page ends its sessions).
 * The root user or another administrator does; the remark stays open. (Removing 2FA is the root
 * user's alone anyway, R4/R5.)
 */
export const ownMembershipActions: readonly TeamAction[] = [
  "changeStatus",
  "changeRoles",
  "changeSso",
  "delete",
  "signOutMember",
];

/** `teamPermissions` toward one member of the team: none of `ownMembershipActions` on oneself. */
export function teamPermissionsOn(actor: User, memberId: string): Record<TeamAction, boolean> {
  const permissions = teamPermissions(actor);
  if (actor.id !== memberId) return permissions;
  return Object.fromEntries(
    teamActions.map((action) => [action, permissions[action] && !ownMembershipActions.includes(action)]),
  ) as Record<TeamAction, boolean>;
}

/** `canPerformTeamAction` on one member: CANNOT_CHANGE_OWN_MEMBERSHIP for one's own membership. */
export function canPerformTeamActionOn(actor: User, memberId: string, action: TeamAction): Decision {
  const decision = canPerformTeamAction(actor, action);
  if (!decision.ok) return decision;
  return teamPermissionsOn(actor, memberId)[action] ? allow : refuse("CANNOT_CHANGE_OWN_MEMBERSHIP");
}

/** The team's settings, the Require-2FA policy among them, are the root user's alone (not an Administrator's). */
export function canChangeTeamSettings(actor: User): Decision {
  return actor.kind === "root" ? allow : refuse("FORBIDDEN");
}
