import { STEP_UP_TTL_IN_SECONDS } from "./constants.js";
import type { Member, MemberRole, MemberStatus } from "./entities.js";
import { allow, type Decision, refuse } from "./errors.js";
import { type TeamAction, teamActionsOfRoles } from "./team.js";
import { addSeconds, isPast } from "./time.js";

/** Step-up: the team actions that need a code entered within the last STEP_UP_TTL_IN_SECONDS. */
export const stepUpActions = [
  "removeTwoFactor",
  "deleteMember",
  "disableMember",
  "changeRoles",
  "changeSso",
  "changeTeamSettings",
  "inviteTeamManager",
  "enableTeamManager",
  "signOutMember",
] as const;
export type StepUpAction = (typeof stepUpActions)[number];

export interface StepUpState {
  /** An actor without 2FA has no code to enter: step-up does not apply to them. */
  actorHasTwoFactor: boolean;
  /** When a valid code was last entered in this session (the sign-in code counts), or null. */
  steppedUpAt: Date | null;
}

/** Until when a code entered at `steppedUpAt` opens sensitive actions (exclusive: at that instant it no longer does). */
export function steppedUpUntil(steppedUpAt: Date): Date {
  return addSeconds(steppedUpAt, STEP_UP_TTL_IN_SECONDS);
}

/** Step-up: a sensitive action needs a code entered less than 10 minutes ago, when the actor has 2FA. */
export function stepUpDecision(state: StepUpState, now: Date): Decision {
  if (!state.actorHasTwoFactor) return allow;
  if (state.steppedUpAt === null || isPast(steppedUpUntil(state.steppedUpAt), now)) {
    return refuse("STEP_UP_REQUIRED");
  }
  return allow;
}

export interface MemberChange {
  status?: Exclude<MemberStatus, "pending"> | undefined;
  roles?: readonly MemberRole[] | undefined;
  sso?: boolean | undefined;
  remark?: string | undefined;
}

/** The same set of roles, whatever the order or repetition: giving a member what it has changes nothing. */
export function sameRoles(a: readonly MemberRole[], b: readonly MemberRole[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((role) => right.has(role));
}

/** The Team-page actions that step-up gates (the member changes below, Remove 2FA, §6.5 Sign out everywhere). */
const gatedTeamActions: readonly TeamAction[] = [
  "changeStatus",
  "changeRoles",
  "changeSso",
  "delete",
  "removeTwoFactor",
  "signOutMember",
];

/**
 * Whether a member with these roles may take a team action that step-up gates (an Administrator).
 * Giving a member such power, or giving it back, is itself gated: otherwise a session whose code is
 * stale could arm an accomplice without 2FA, who is never asked for a code, and act through it.
 */
export function canTakeGatedTeamActions(roles: readonly MemberRole[]): boolean {
  const granted = teamActionsOfRoles(roles);
  return gatedTeamActions.some((action) => granted.has(action));
}

/**
 * The sensitive parts of a member change, as they would apply to `member`: disabling it, enabling it
 * again when its roles (as changed) may take gated team actions, changing its roles or its SSO flag.
 * Enabling another member, a remark, or a field set to its current value are not sensitive.
 */
export function memberChangeStepUpActions(
  member: Pick<Member, "status" | "roles" | "isSso">,
  change: MemberChange,
): StepUpAction[] {
  const actions: StepUpAction[] = [];
  if (change.status === "disabled" && member.status !== "disabled") actions.push("disableMember");
  if (
    change.status === "active" &&
    member.status === "disabled" &&
    canTakeGatedTeamActions(change.roles ?? member.roles)
  ) {
    actions.push("enableTeamManager");
  }
  if (change.roles !== undefined && !sameRoles(change.roles, member.roles)) actions.push("changeRoles");
  if (change.sso !== undefined && change.sso !== member.isSso) actions.push("changeSso");
  return actions;
}

/** An invitation is sensitive when the roles it grants may take a gated team action (an Administrator). */
export function invitationStepUpActions(roles: readonly MemberRole[]): StepUpAction[] {
  return canTakeGatedTeamActions(roles) ? ["inviteTeamManager"] : [];
}
