import { type StepUpState, stepUpDecision } from "@cloud2fa/domain";
import { AppError } from "../../http/errors.js";
import type { SessionUser } from "../auth/sessions.js";

/** The step-up state of the acting session, for the domain's stepUpDecision. */
export function stepUpStateOf(auth: Pick<SessionUser, "enabled" | "steppedUpAt">): StepUpState {
  return { actorHasTwoFactor: auth.enabled !== undefined, steppedUpAt: auth.steppedUpAt };
}

/** Step-up: call after authorization and before any change; throws STEP_UP_REQUIRED (403). */
export function requireStepUp(state: StepUpState, now: Date): void {
  const decision = stepUpDecision(state, now);
  if (!decision.ok) throw new AppError(decision.reason);
}
