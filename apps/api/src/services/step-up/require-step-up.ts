import { mustSignInWithSso, type StepUpState, stepUpDecision } from "@cloud2fa/domain";
import { AppError } from "../../http/errors.js";
import type { SessionUser } from "../auth/sessions.js";

/** The step-up state of the acting session, for the domain's stepUpDecision. */
export function stepUpStateOf(
  auth: Pick<SessionUser, "enabled" | "steppedUpAt"> & Partial<Pick<SessionUser, "row" | "isTeamSsoEnabled">>,
): StepUpState {
  // §7.3: an SSO member's provider is its second factor: it steps up by a fresh sign-in there.
  const isSsoStepUp = auth.row !== undefined && mustSignInWithSso(auth.row, auth.isTeamSsoEnabled === true);
  return { actorHasTwoFactor: auth.enabled !== undefined || isSsoStepUp, steppedUpAt: auth.steppedUpAt };
}

/** Step-up: call after authorization and before any change; throws STEP_UP_REQUIRED (403). */
export function requireStepUp(state: StepUpState, now: Date): void {
  const decision = stepUpDecision(state, now);
  if (!decision.ok) throw new AppError(decision.reason);
}
