import { type MemberRole, memberRoles, type TwoFactorMethod } from "@cloud2fa/domain";
import { createResource, createSignal, For, Show } from "solid-js";
import { CopyButton } from "./copy-button.js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";
import { isStepUpRequired, PendingStepUpPrompt, type StepUpClient } from "./step-up-prompt.js";
import { roleNames } from "./user.js";

export interface SsoSettingsView {
  configured: boolean;
  issuer: string | null;
  clientId: string | null;
  clientSecretSet: boolean;
  allowedDomains: string[];
  jitEnabled: boolean;
  jitRoles: MemberRole[];
  enabled: boolean;
  redirectUri: string;
  signInUrl: string;
}

export interface SsoSettingsInput {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  allowedDomains: string[];
  jitEnabled: boolean;
  jitRoles: MemberRole[];
  enabled: boolean;
}

export interface SsoSettingsClient {
  read: () => Promise<SsoSettingsView>;
  save: (input: SsoSettingsInput) => Promise<SsoSettingsView>;
  remove: () => Promise<void>;
  stepUp: StepUpClient;
}

/** "example.com, example.org" or one a line → the list the API takes. */
function domainsOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((domain) => domain.trim())
    .filter((domain) => domain.length > 0);
}

/** §7.1: the team's OpenID Connect provider, set by the root user (with step-up). */
export function SsoSettingsCard(props: { client: SsoSettingsClient; method?: TwoFactorMethod | null }) {
  const [settings, { mutate }] = createResource(() => props.client.read());
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal("");
  const [stepUp, setStepUp] = createSignal<(() => Promise<void>) | null>(null);
  const run = async (action: () => Promise<void>, done: string) => {
    setError(null);
    setNotice("");
    try {
      await action();
      setNotice(done);
    } catch (failure) {
      if (isStepUpRequired(failure)) setStepUp(() => () => run(action, done));
      else setError(failure);
    }
  };
  const submit = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const secret = String(data.get("clientSecret") ?? "");
    const input: SsoSettingsInput = {
      issuer: String(data.get("issuer") ?? "").trim(),
      clientId: String(data.get("clientId") ?? "").trim(),
      ...(secret ? { clientSecret: secret } : {}),
      allowedDomains: domainsOf(String(data.get("allowedDomains") ?? "")),
      jitEnabled: data.get("jitEnabled") === "on",
      jitRoles: memberRoles.filter((role) => data.get(`jitRole-${role}`) === "on"),
      enabled: data.get("enabled") === "on",
    };
    void run(async () => {
      mutate(await props.client.save(input));
      const secretField = form.elements.namedItem("clientSecret");
      if (secretField instanceof HTMLInputElement) secretField.value = "";
    }, "Single sign-on settings saved.");
  };
  const discoveryReason = () => {
    const failure = error();
    return failure instanceof ApiError && failure.code === "SSO_DISCOVERY_FAILED" ? failure.reason : null;
  };
  return (
    <section class="card" aria-labelledby="sso-title">
      <h2 id="sso-title">Single sign-on (OpenID Connect)</h2>
      <p class="hint">
        Members marked SSO sign in through your identity provider, which is then responsible for their second
        factor. While single sign-on is on, they cannot sign in with a password.
      </p>
      <Show when={settings()}>
        {(current) => (
          <>
            <dl class="sso-addresses">
              <dt>Redirect URI to register at your identity provider</dt>
              <dd>
                <code data-testid="sso-redirect-uri">{current().redirectUri}</code>{" "}
                <CopyButton text={current().redirectUri} label="Copy redirect URI" />
              </dd>
              <dt>Your team's SSO sign-in address</dt>
              <dd>
                <code data-testid="sso-sign-in-url">{current().signInUrl}</code>{" "}
                <CopyButton text={current().signInUrl} label="Copy SSO sign-in address" />
              </dd>
            </dl>
            <form
              onSubmit={(event) => {
                event.preventDefault();
                submit(event.currentTarget);
              }}
            >
              <div class="field">
                <label for="sso-issuer">Issuer URL</label>
                <input
                  id="sso-issuer"
                  name="issuer"
                  inputmode="url"
                  required
                  value={current().issuer ?? ""}
                  placeholder="https://"
                />
              </div>
              <div class="field">
                <label for="sso-client-id">Client ID</label>
                <input
                  id="sso-client-id"
                  name="clientId"
                  required
                  value={current().clientId ?? ""}
                  autocomplete="off"
                />
              </div>
              <div class="field">
                <label for="sso-client-secret">Client secret</label>
                <input
                  id="sso-client-secret"
                  name="clientSecret"
                  type="password"
                  autocomplete="new-password"
                  required={!current().clientSecretSet}
                  placeholder={current().clientSecretSet ? "Stored — leave empty to keep it" : ""}
                />
              </div>
              <div class="field">
                <label for="sso-domains">Allowed domains of members' addresses (separated by commas)</label>
                <input
                  id="sso-domains"
                  name="allowedDomains"
                  required
                  value={current().allowedDomains.join(", ")}
                />
              </div>
              <label class="choice">
                <input name="jitEnabled" type="checkbox" checked={current().jitEnabled} /> Create members on
                their first sign-in (just-in-time), with these roles:
              </label>
              <fieldset class="roles">
                <legend>Roles of members created on first sign-in</legend>
                <For each={memberRoles}>
                  {(role) => (
                    <label class="choice">
                      <input
                        name={`jitRole-${role}`}
                        type="checkbox"
                        checked={current().jitRoles.includes(role)}
                      />{" "}
                      {roleNames[role]} role
                    </label>
                  )}
                </For>
              </fieldset>
              <label class="choice">
                <input name="enabled" type="checkbox" checked={current().enabled} /> Single sign-on is on
              </label>
              <p class="hint">
                Turning single sign-on off, or changing the issuer, signs every SSO member out.
              </p>
              <button type="submit">Save single sign-on</button>
              <Show when={current().configured}>
                <button
                  type="button"
                  class="secondary"
                  onClick={() =>
                    void run(async () => {
                      await props.client.remove();
                      mutate(await props.client.read());
                    }, "Single sign-on removed.")
                  }
                >
                  Remove single sign-on
                </button>
              </Show>
            </form>
          </>
        )}
      </Show>
      <PendingStepUpPrompt
        id="sso-step-up"
        action="Change single sign-on"
        method={props.method ?? null}
        client={props.client.stepUp}
        retry={stepUp()}
        onSettled={() => setStepUp(null)}
      />
      <Show when={notice()}>
        <p class="notice" role="status">
          {notice()}
        </p>
      </Show>
      <ErrorMessage error={error()} />
      <Show when={discoveryReason()}>{(reason) => <p class="hint">Details: {reason()}</p>}</Show>
    </section>
  );
}
