import type { TwoFactorMethod } from "@cloud2fa/domain";
import { createResource, createSignal, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { type MemberTwoFactorPolicyClient, MemberTwoFactorPolicyFields } from "./member-two-factor-policy.js";
import { isStepUpRequired, PendingStepUpPrompt, type StepUpClient } from "./step-up-prompt.js";

export interface TeamSettingsView {
  allowMemberRecoveryCodes: boolean;
}

export interface TeamSettingsClient {
  read: () => Promise<TeamSettingsView>;
  update: (settings: TeamSettingsView) => Promise<TeamSettingsView>;
  /** Step-up: the team policy needs a recent code. */
  stepUp: StepUpClient;
}

/** The team's settings, changed by the root user only. */
export function TeamSettingsCard(props: {
  client: TeamSettingsClient;
  /** The acting user's 2FA method, for the step-up prompt. */
  method?: TwoFactorMethod | null;
  /** Require 2FA for members: the policy's switch and deadline, when given. */
  policyClient?: MemberTwoFactorPolicyClient;
}) {
  const [settings, { mutate }] = createResource(() => props.client.read());
  const [error, setError] = createSignal<unknown>(null);
  const [stepUp, setStepUp] = createSignal<(() => Promise<void>) | null>(null);
  /** Resolves false when the change was refused (the control then shows the stored value again). */
  const save = async (change: TeamSettingsView): Promise<boolean> => {
    setError(null);
    try {
      mutate(await props.client.update(change));
      return true;
    } catch (failure) {
      if (isStepUpRequired(failure)) setStepUp(() => async () => void (await save(change)));
      else setError(failure);
      return false;
    }
  };
  const toggle = async (box: HTMLInputElement) => {
    if (!(await save({ allowMemberRecoveryCodes: box.checked }))) box.checked = !box.checked;
  };
  return (
    <section class="card" aria-labelledby="team-settings-title">
      <h2 id="team-settings-title">Team settings</h2>
      <Show when={settings()}>
        {(current) => (
          <>
            <label class="choice">
              <input
                type="checkbox"
                checked={current().allowMemberRecoveryCodes}
                onChange={(event) => void toggle(event.currentTarget)}
              />{" "}
              Members get recovery codes when they enable two-factor authentication
            </label>
            <p class="hint">Turning this off revokes the recovery codes members already have.</p>
          </>
        )}
      </Show>
      <PendingStepUpPrompt
        id="team-settings-step-up"
        action="Change the team settings"
        method={props.method ?? null}
        client={props.client.stepUp}
        retry={stepUp()}
        onSettled={() => setStepUp(null)}
      />
      <ErrorMessage error={error()} />
      <Show when={props.policyClient}>
        {(client) => (
          <MemberTwoFactorPolicyFields
            client={client()}
            stepUp={{ client: props.client.stepUp, method: props.method ?? null }}
          />
        )}
      </Show>
    </section>
  );
}
