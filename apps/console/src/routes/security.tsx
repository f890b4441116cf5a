import { ChangePasswordCard, EmailChangeCard, SessionsCard, TwoFactorSettings } from "@cloud2fa/ui";
import { Show } from "solid-js";
import { changePasswordClient, emailChangeClient, sessionsClient, twoFactorClient } from "../api.js";
import { me, refreshMe } from "../session.js";

export function SecurityRoute() {
  return (
    <>
      <h1>Settings › Security</h1>
      <Show when={me()}>
        {(user) => (
          <TwoFactorSettings
            me={user()}
            client={twoFactorClient}
            consoleHref="/"
            consoleName="Cloud Console"
            onChanged={() => void refreshMe()}
          />
        )}
      </Show>
      <Show when={me()}>
        {(user) => <ChangePasswordCard method={user().twoFactor.method} client={changePasswordClient} />}
      </Show>
      <Show when={me()}>{(user) => <EmailChangeCard me={user()} client={emailChangeClient} />}</Show>
      <Show when={me()}>
        <SessionsCard client={sessionsClient} />
      </Show>
    </>
  );
}
