import { canChangeTeamSettings } from "@cloud2fa/domain";
import { SsoSettingsCard, TeamPage, TeamSettingsCard, toDomainUser } from "@cloud2fa/ui";
import { Show } from "solid-js";
import { memberTwoFactorPolicyClient, ssoSettingsClient, teamClient, teamSettingsClient } from "../api.js";
import { me } from "../session.js";

export function TeamRoute() {
  return (
    <Show when={me()}>
      {(user) => (
        <>
          <TeamPage actor={user()} client={teamClient} />
          <Show when={canChangeTeamSettings(toDomainUser(user())).ok}>
            <TeamSettingsCard
              client={teamSettingsClient}
              policyClient={memberTwoFactorPolicyClient}
              method={user().twoFactor.method}
            />
          </Show>
          <Show when={user().kind === "root"}>
            <SsoSettingsCard client={ssoSettingsClient} method={user().twoFactor.method} />
          </Show>
        </>
      )}
    </Show>
  );
}
