import { canChangeTeamSettings, canManageServiceCredentials } from "@cloud2fa/domain";
import {
  ServiceCredentialsCard,
  SsoSettingsCard,
  TeamPage,
  TeamSettingsCard,
  toDomainUser,
} from "@cloud2fa/ui";
import { Show } from "solid-js";
import {
  memberTwoFactorPolicyClient,
  serviceCredentialsClient,
  ssoSettingsClient,
  teamClient,
  teamSettingsClient,
} from "../api.js";
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
          <Show when={canManageServiceCredentials(toDomainUser(user())).ok}>
            <ServiceCredentialsCard client={serviceCredentialsClient} method={user().twoFactor.method} />
          </Show>
        </>
      )}
    </Show>
  );
}
