import type { TwoFactorMethod } from "@cloud2fa/domain";
import { createResource, createSignal, For, Show } from "solid-js";
import { CopyButton } from "./copy-button.js";
import { ErrorMessage } from "./error-message.js";
import { isStepUpRequired, type StepUpClient, StepUpPrompt } from "./step-up-prompt.js";
import { formatDate } from "./user.js";

export interface ServiceCredentialView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ServiceCredentialsClient {
  list: () => Promise<ServiceCredentialView[]>;
  create: (name: string) => Promise<{ id: string; name: string; secret: string }>;
  revoke: (id: string) => Promise<void>;
  stepUp: StepUpClient;
}

/** §8.1: the root user's credentials for other services; a new secret is shown once, here. */
export function ServiceCredentialsCard(props: {
  client: ServiceCredentialsClient;
  method?: TwoFactorMethod | null;
}) {
  const [credentials, { refetch }] = createResource(() => props.client.list());
  const [name, setName] = createSignal("");
  const [created, setCreated] = createSignal<{ name: string; secret: string } | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const [pending, setPending] = createSignal<{ action: string; run: () => Promise<void> } | null>(null);
  const attempt = async (action: string, run: () => Promise<void>) => {
    setError(null);
    try {
      await run();
      await refetch();
    } catch (failure) {
      if (isStepUpRequired(failure)) setPending({ action, run: () => attempt(action, run) });
      else setError(failure);
    }
  };
  const create = (event: SubmitEvent) => {
    event.preventDefault();
    const wanted = name().trim();
    void attempt(`Create the credential ${wanted}`, async () => {
      const answer = await props.client.create(wanted);
      setCreated({ name: answer.name, secret: answer.secret });
      setName("");
    });
  };
  return (
    <section class="card" aria-labelledby="service-credentials-title">
      <h2 id="service-credentials-title">Service credentials</h2>
      <p class="hint">Other services of your team use a credential to check who is signed in.</p>
      <Show when={created()}>
        {(shown) => (
          <div class="notice" role="status">
            <p>The secret of {shown().name}. Copy it now: it is not shown again.</p>
            <code>{shown().secret}</code>{" "}
            <CopyButton text={shown().secret} label={`Copy the secret of ${shown().name}`} />
          </div>
        )}
      </Show>
      <Show when={(credentials() ?? []).length > 0} fallback={<p>No service credentials yet.</p>}>
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            <For each={credentials()}>
              {(credential) => (
                <tr>
                  <td>{credential.name}</td>
                  <td>{formatDate(credential.createdAt)}</td>
                  <td>{credential.lastUsedAt ? formatDate(credential.lastUsedAt) : "Never"}</td>
                  <td>
                    <button
                      type="button"
                      class="secondary small"
                      onClick={() =>
                        void attempt(`Revoke ${credential.name}`, () => props.client.revoke(credential.id))
                      }
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </Show>
      <form onSubmit={create}>
        <label>
          Name{" "}
          <input
            value={name()}
            onInput={(event) => setName(event.currentTarget.value)}
            maxLength={64}
            required
          />
        </label>{" "}
        <button type="submit">Create credential</button>
      </form>
      <Show when={pending()}>
        {(waiting) => (
          <StepUpPrompt
            id="service-credentials-step-up"
            action={waiting().action}
            method={props.method ?? null}
            client={props.client.stepUp}
            onConfirmed={() => {
              const retry = waiting().run;
              setPending(null);
              return retry();
            }}
            onCancel={() => setPending(null)}
          />
        )}
      </Show>
      <ErrorMessage error={error()} />
    </section>
  );
}
