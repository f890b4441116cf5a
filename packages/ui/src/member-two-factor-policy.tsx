import type { TwoFactorMethod } from "@cloud2fa/domain";
import { createResource, createSignal, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { isStepUpRequired, PendingStepUpPrompt, type StepUpClient } from "./step-up-prompt.js";

/** Require 2FA for members: the team policy as GET/PATCH /api/team/settings/two-factor-policy have it. */
export interface MemberTwoFactorPolicyView {
  requireMemberTwoFactor: boolean;
  memberTwoFactorDeadline: string | null;
}

export interface MemberTwoFactorPolicyClient {
  read: () => Promise<MemberTwoFactorPolicyView>;
  update: (policy: MemberTwoFactorPolicyView) => Promise<MemberTwoFactorPolicyView>;
}

/** A date input's YYYY-MM-DD in the browser's zone: the requirement starts at that day's midnight. */
export function deadlineFromDate(date: string): string | null {
  return date ? new Date(`${date}T00:00:00`).toISOString() : null;
}

export function dateFromDeadline(deadline: string | null): string {
  if (!deadline) return "";
  const at = new Date(deadline);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** The root user's switch and optional grace deadline, inside the Team settings card. */
export function MemberTwoFactorPolicyFields(props: {
  client: MemberTwoFactorPolicyClient;
  /** Step-up: changing the policy needs a recent code; the prompt appears here and saves again. */
  stepUp: { client: StepUpClient; method: TwoFactorMethod | null };
}) {
  const [policy, { mutate }] = createResource(() => props.client.read());
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal("");
  const [pendingStepUp, setPendingStepUp] = createSignal<(() => Promise<void>) | null>(null);
  const save = async (change: MemberTwoFactorPolicyView): Promise<void> => {
    setError(null);
    setNotice("");
    try {
      mutate(await props.client.update(change));
      setNotice("Two-factor policy saved.");
    } catch (failure) {
      if (isStepUpRequired(failure)) setPendingStepUp(() => () => save(change));
      else setError(failure);
    }
  };
  const submit = (form: HTMLFormElement) => {
    const data = new FormData(form);
    return save({
      requireMemberTwoFactor: data.get("requireMemberTwoFactor") === "on",
      memberTwoFactorDeadline: deadlineFromDate(String(data.get("deadline") ?? "")),
    });
  };
  return (
    <Show when={policy()}>
      {(current) => (
        <>
          <form
            class="member-policy"
            onSubmit={(event) => {
              event.preventDefault();
              void submit(event.currentTarget);
            }}
          >
            <label class="choice">
              <input
                type="checkbox"
                name="requireMemberTwoFactor"
                checked={current().requireMemberTwoFactor}
              />{" "}
              Require two-factor authentication for members
            </label>
            <div class="field">
              <label for="member-two-factor-deadline">
                Grace deadline (optional; empty: required at once)
              </label>
              <input
                id="member-two-factor-deadline"
                name="deadline"
                type="date"
                value={dateFromDeadline(current().memberTwoFactorDeadline)}
              />
            </div>
            <p class="hint">
              After the deadline, a member without two-factor authentication can only set it up. SSO members
              are exempt.
            </p>
            <button type="submit">Save two-factor policy</button>
            <Show when={notice()}>
              <p role="status" class="notice">
                {notice()}
              </p>
            </Show>
            <ErrorMessage error={error()} />
          </form>
          <PendingStepUpPrompt
            id="member-policy-step-up"
            action="Save the two-factor policy for members"
            method={props.stepUp.method}
            client={props.stepUp.client}
            retry={pendingStepUp()}
            onSettled={() => setPendingStepUp(null)}
          />
        </>
      )}
    </Show>
  );
}
