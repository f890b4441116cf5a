import type { TwoFactorMethod } from "@cloud2fa/domain";
import { createSignal, type JSX, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";
import { NewPasswordField } from "./new-password-field.js";
import { isStepUpRequired, type StepUpClient, StepUpPrompt } from "./step-up-prompt.js";

export interface ChangePasswordClient {
  /** POST /api/me/password (§6.2): other sessions are signed out, this one is kept. */
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
  stepUp: StepUpClient;
}

/** A wrong current password is not a sign-in: say which field is wrong (a code outside the catalog shows its message). */
function changeError(error: unknown): unknown {
  return error instanceof ApiError && error.code === "INVALID_CREDENTIALS"
    ? new ApiError("CURRENT_PASSWORD_WRONG", "The current password is not correct.", error.status)
    : error;
}

/**
 * §6.2: the Security page's password change: the current password, a new one (§6.3, its reason
 * beside the field), and with 2FA on a code when the API asks for a step-up.
 */
export function ChangePasswordCard(props: {
  id?: string;
  /** The signed-in user's 2FA method, for the step-up prompt (null without 2FA). */
  method: TwoFactorMethod | null;
  client: ChangePasswordClient;
  title?: string;
  intro?: JSX.Element;
  currentPasswordLabel?: string;
  /** Shown instead of the code prompt where a step-up cannot be taken (a session held to the change). */
  stepUpFallback?: JSX.Element;
  onChanged?: () => void;
}) {
  const id = () => props.id ?? "change-password";
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const [isChanged, setChanged] = createSignal(false);
  const [waitingForCode, setWaitingForCode] = createSignal<(() => Promise<void>) | null>(null);
  let form: HTMLFormElement | undefined;

  const change = async (currentPassword: string, newPassword: string) => {
    setBusy(true);
    setError(null);
    try {
      await props.client.changePassword(currentPassword, newPassword);
      form?.reset();
      setChanged(true);
      props.onChanged?.();
    } catch (failure) {
      if (isStepUpRequired(failure)) setWaitingForCode(() => () => change(currentPassword, newPassword));
      else setError(changeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby={`${id()}-title`} data-testid="change-password-card">
      <h2 id={`${id()}-title`}>{props.title ?? "Password"}</h2>
      {props.intro ?? (
        <p class="hint">Changing your password signs out every other browser signed in to your account.</p>
      )}
      <form
        ref={form}
        aria-labelledby={`${id()}-title`}
        onSubmit={(event) => {
          event.preventDefault();
          const data = new FormData(event.currentTarget);
          setChanged(false);
          void change(String(data.get("currentPassword") ?? ""), String(data.get("newPassword") ?? ""));
        }}
      >
        <div class="field">
          <label for={`${id()}-current`}>{props.currentPasswordLabel ?? "Current password"}</label>
          <input
            id={`${id()}-current`}
            name="currentPassword"
            type="password"
            required
            autocomplete="current-password"
          />
        </div>
        <NewPasswordField id={`${id()}-new`} name="newPassword" label="New password" error={error()} />
        <ErrorMessage error={error()} besideFields={["newPassword"]} />
        <Show when={!waitingForCode() || props.stepUpFallback}>
          <div class="actions">
            <button type="submit" disabled={isBusy()}>
              {isBusy() ? "Changing…" : "Change password"}
            </button>
          </div>
        </Show>
      </form>
      <Show when={waitingForCode() && props.stepUpFallback}>
        <div role="alert">{props.stepUpFallback}</div>
      </Show>
      <Show when={!props.stepUpFallback && waitingForCode()}>
        {(retry) => (
          <StepUpPrompt
            id={`${id()}-step-up`}
            method={props.method}
            action="Change your password"
            client={props.client.stepUp}
            onConfirmed={async () => {
              const run = retry();
              setWaitingForCode(null);
              await run();
            }}
            onCancel={() => setWaitingForCode(null)}
          />
        )}
      </Show>
      <Show when={isChanged()}>
        <p role="status" class="notice">
          Your password was changed. Every other browser signed in to your account was signed out; this one
          stays signed in.
        </p>
      </Show>
    </section>
  );
}
