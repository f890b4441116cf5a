import { createResource, createSignal, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { type MemberTwoFactorPolicyClient, MemberTwoFactorPolicyFields } from "./member-two-factor-policy.js";

export interface TeamSettingsView {
  allowMemberRecoveryCodes: boolean;
}

export interface TeamSettingsClient {
  read: () => Promise<TeamSettingsView>;
  update: (settings: TeamSettingsView) => Promise<TeamSettingsView>;
}

/** The team's settings, changed by the root user only. */
export function TeamSettingsCard(props: {
  client: TeamSettingsClient;
  /** Require 2FA for members: the policy's switch and deadline, when given. */
  policyClient?: MemberTwoFactorPolicyClient;
}) {
  const [settings, { mutate }] = createResource(() => props.client.read());
  const [error, setError] = createSignal<unknown>(null);
  const toggle = async (allowMemberRecoveryCodes: boolean) => {
    setError(null);
    try {
      mutate(await props.client.update({ allowMemberRecoveryCodes }));
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="team-settings-title">
      <h2 id="team-settings-title">Team settings</h2>
      <Show when={settings()}>
        {(current) => (
          <label class="choice">
            <input
              type="checkbox"
              checked={current().allowMemberRecoveryCodes}
              onChange={(event) => void toggle(event.currentTarget.checked)}
            />{" "}
            Members get recovery codes when they enable two-factor authentication
          </label>
        )}
      </Show>
      <ErrorMessage error={error()} />
      <Show when={props.policyClient}>{(client) => <MemberTwoFactorPolicyFields client={client()} />}</Show>
    </section>
  );
}
