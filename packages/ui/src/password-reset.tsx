import { PASSWORD_RESET_TTL_IN_SECONDS } from "@cloud2fa/domain";
import { createSignal, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";
import { NewPasswordField } from "./new-password-field.js";

export interface PasswordResetClient {
  /** `accountId` for a team member; left out for a root user. */
  request: (input: { accountId?: string; email: string }) => Promise<void>;
  confirm: (token: string, password: string) => Promise<void>;
}

/** §6.1, S6: the same words whether or not the address has an account. */
export const PASSWORD_RESET_SENT = `If an account with that address exists, we have emailed a link to reset the password. It works for ${PASSWORD_RESET_TTL_IN_SECONDS / 60} minutes.`;

/** "Forgot password?": an address (and a team's account ID for a member) to mail a reset link to. */
export function ForgotPasswordPage(props: {
  client: PasswordResetClient;
  /** Shown for a team member: the account ID of the team, filled in from the sign-in page. */
  accountId?: string;
  email?: string;
  signInHref: string;
}) {
  const [isSent, setSent] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const isMember = props.accountId !== undefined;
  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    const email = String(data.get("email")).trim();
    const accountId = String(data.get("accountId") ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      await props.client.request(isMember ? { accountId, email } : { email });
      setSent(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card narrow">
      <h1>Reset your password</h1>
      <Show
        when={!isSent()}
        fallback={
          <>
            <p role="status" data-testid="reset-sent">
              {PASSWORD_RESET_SENT}
            </p>
            <a class="button" href={props.signInHref}>
              Back to sign-in
            </a>
          </>
        }
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit(event.currentTarget);
          }}
        >
          <p>
            Enter the email address you sign in with. We will mail you a link to choose a new password. Your
            two-factor authentication stays as it is.
          </p>
          <Show when={isMember}>
            <div class="field">
              <label for="reset-account-id">Account ID</label>
              <input
                id="reset-account-id"
                name="accountId"
                required
                autocomplete="organization"
                value={props.accountId ?? ""}
              />
            </div>
          </Show>
          <div class="field">
            <label for="reset-email">Email</label>
            <input
              id="reset-email"
              name="email"
              type="email"
              required
              autocomplete="username"
              value={props.email ?? ""}
            />
          </div>
          <ErrorMessage error={error()} />
          <button type="submit" disabled={isBusy()}>
            {isBusy() ? "Sending…" : "Email me a reset link"}
          </button>
          <p>
            <a href={props.signInHref}>Back to sign-in</a>
          </p>
        </form>
      </Show>
    </div>
  );
}

/** The mailed link's page: a new password; it signs every session out and nobody in. */
export function ResetPasswordPage(props: {
  client: PasswordResetClient;
  token: string;
  signInHref: string;
  forgotHref: string;
}) {
  const [isDone, setDone] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const isLinkDead = () => {
    const failure = error();
    return !props.token || (failure instanceof ApiError && failure.code === "INVALID_TOKEN");
  };
  const submit = async (form: HTMLFormElement) => {
    const password = String(new FormData(form).get("password"));
    setBusy(true);
    setError(null);
    try {
      await props.client.confirm(props.token, password);
      setDone(true);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card narrow">
      <h1>Choose a new password</h1>
      <Show
        when={!isDone()}
        fallback={
          <>
            <p role="status" data-testid="reset-done">
              Your password is changed, and every session of your account was signed out. Sign in with the new
              password; if you use two-factor authentication, you will be asked for your code as before.
            </p>
            <a class="button" href={props.signInHref}>
              Sign in
            </a>
          </>
        }
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void submit(event.currentTarget);
          }}
        >
          <NewPasswordField id="reset-password" name="password" label="New password" error={error()} />
          <Show when={isLinkDead()} fallback={<ErrorMessage error={error()} besideFields={["password"]} />}>
            <p class="error" role="alert">
              This link is not valid any more: it was used, it expired, or a newer one was sent.{" "}
              <a href={props.forgotHref}>Ask for a new link</a>.
            </p>
          </Show>
          <button type="submit" disabled={isBusy() || !props.token}>
            {isBusy() ? "Saving…" : "Set new password"}
          </button>
        </form>
      </Show>
    </div>
  );
}
