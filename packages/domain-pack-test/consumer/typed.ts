// Type-checked by the pack test against the shipped .d.ts, with no Node.js or DOM types: the library needs neither.
import {
  canPerformTeamActionOn,
  type Decision,
  type ErrorCode,
  errorMessages,
  type Member,
  type MemberEnrolment,
  memberEnrolment,
  type StepUpState,
  stepUpDecision,
  type TeamAction,
  type TotpCheck,
  verifyTotpCode,
} from "@cloud2fa/domain";

const administrator: Member = {
  kind: "member",
  id: "mem_ada",
  accountId: "acc_1",
  email: "ada@example.com",
  roles: ["administrator"],
  status: "active",
  isSso: false,
};
const now = new Date("2026-01-05T09:00:00Z");

export const removal: Decision = canPerformTeamActionOn(administrator, "mem_bob", "removeTwoFactor");
export const refusalMessage: string | null = removal.ok ? null : errorMessages[removal.reason];
export const reason: ErrorCode | null = removal.ok ? null : removal.reason;
export const action: TeamAction = "removeTwoFactor";

// @ts-expect-error "fly" is not a team action
export const notAnAction = canPerformTeamActionOn(administrator, "mem_bob", "fly");
// @ts-expect-error "owner" is not a member role
export const notARole: Member = { ...administrator, roles: ["owner"] };
// @ts-expect-error a member has roles, a status and an SSO flag
export const incomplete: Member = { kind: "member", id: "mem_x", accountId: "acc_1", email: "x@example.com" };

const state: StepUpState = { actorHasTwoFactor: true, steppedUpAt: null };
export const stepUp: Decision = stepUpDecision(state, now);

const enrolment: MemberEnrolment = memberEnrolment(
  { policy: { required: true, deadline: null }, user: administrator, hasTwoFactor: false },
  now,
);
export const daysLeft: number | null = enrolment.state === "grace" ? enrolment.daysLeft : null;
// @ts-expect-error only a member in grace has days left
export const unnarrowed: number = enrolment.daysLeft;

export const check: TotpCheck = verifyTotpCode({
  secret: "JBSWY3DPEHPK3PXP",
  code: "123456",
  now,
  lastAcceptedStep: null,
});
export const step: number | null = check.ok ? check.step : null;
// @ts-expect-error `now` is a Date, not a number of milliseconds
verifyTotpCode({ secret: "JBSWY3DPEHPK3PXP", code: "123456", now: 0, lastAcceptedStep: null });
