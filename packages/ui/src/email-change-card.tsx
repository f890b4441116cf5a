import { canRequestEmailChange } from "@cloud2fa/domain";
import { createSignal, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";
import { isStepUpRequired, type StepUpClient, StepUpPrompt } from "./step-up-prompt.js";
import type { MeView } from "./user.js";

export interface EmailChangeClient {
  /** POST /api/me/email: mails a confirmation link to the new address (202, whatever the address). */
  requestChange: (newEmail: string, password: string) => Promise<void>;
  stepUp: StepUpClient;
}

const normalized = (email: string) => email.trim().toLowerCase();

/** The catalog's sentence for INVALID_CREDENTIALS speaks of a sign-in; here only the password was typed. */
const isWrongPassword = (failure: unknown) =>
  failure instanceof ApiError && failure.code === "INVALID_CREDENTIALS";

/**
 * §6.4: the root user's sign-in address. A link to the new address confirms the change; until it is
 * opened the account keeps signing in with the current one. With 2FA on, a step-up comes first.
 */
export function EmailChangeCard(props: { me: MeView; client: EmailChangeClient }) {
  const [newEmail, setNewEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const [isSteppingUp, setSteppingUp] = createSignal(false);
  const [sentTo, setSentTo] = createSignal<string | null>(null);
  const isSameAddress = () =>
    newEmail().trim() !== "" &&
    !canRequestEmailChange(props.me, {
      currentEmailNormalized: normalized(props.me.email),
      newEmailNormalized: normalized(newEmail()),
    }).ok;

  const send = async () => {
    if (isBusy()) return;
    setBusy(true);
    setError(null);
    try {
      await props.client.requestChange(newEmail().trim(), password());
      setSentTo(newEmail().trim());
      setNewEmail("");
      setPassword("");
      setSteppingUp(false);
    } catch (failure) {
      setSteppingUp(isStepUpRequired(failure));
      if (!isStepUpRequired(failure)) setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="email-change-title">
      <h2 id="email-change-title">Email address</h2>
      <p>
        You sign in with <strong data-testid="current-email">{props.me.email}</strong>. Security notices and
        email codes go there.
      </p>
      <Show when={sentTo()}>
        {(address) => (
          <p role="status" class="notice" data-testid="email-change-sent">
            We sent a link to <strong>{address()}</strong>. Your sign-in address changes when you open it
            (within 24 hours); until then you sign in with {props.me.email}.
          </p>
        )}
      </Show>
      <Show
        when={!isSteppingUp()}
        fallback={
          <StepUpPrompt
            id="email-change-step-up"
            method={props.me.twoFactor.method}
            action={`Change your sign-in address to ${newEmail().trim()}`}
            client={props.client.stepUp}
            onConfirmed={send}
            onCancel={() => setSteppingUp(false)}
          />
        }
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            if (!isSameAddress()) void send();
          }}
        >
          <div class="field">
            <label for="email-change-new">New email address</label>
            <input
              id="email-change-new"
              name="newEmail"
              type="email"
              required
              autocomplete="email"
              value={newEmail()}
              onInput={(event) => setNewEmail(event.currentTarget.value)}
            />
          </div>
          <div class="field">
            <label for="email-change-password">Current password</label>
            <input
              id="email-change-password"
              name="password"
              type="password"
              required
              autocomplete="current-password"
              value={password()}
              onInput={(event) => setPassword(event.currentTarget.value)}
            />
          </div>
          <Show when={isSameAddress()}>
            <p class="error" role="alert">
              This is already your sign-in address.
            </p>
          </Show>
          <Show when={isWrongPassword(error())} fallback={<ErrorMessage error={error()} />}>
            <p class="error" role="alert">
              That is not your current password.
            </p>
          </Show>
          <button type="submit" disabled={isBusy() || isSameAddress()}>
            {isBusy() ? "Sending…" : "Send a confirmation link"}
          </button>
        </form>
      </Show>
    </section>
  );
}
