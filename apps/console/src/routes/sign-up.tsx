import { ErrorMessage, expectOk, NewPasswordField } from "@cloud2fa/ui";
import { A } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { api } from "../api.js";

export function SignUpRoute() {
  const [sentTo, setSentTo] = createSignal("");
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  return (
    <div class="card narrow">
      <Show
        when={sentTo()}
        fallback={
          <form
            onSubmit={async (event) => {
              event.preventDefault();
              const data = new FormData(event.currentTarget);
              const email = String(data.get("email")).trim();
              setBusy(true);
              setError(null);
              try {
                await expectOk(
                  api.auth.root.signup.$post({ json: { email, password: String(data.get("password")) } }),
                );
                setSentTo(email);
              } catch (failure) {
                setError(failure);
              } finally {
                setBusy(false);
              }
            }}
          >
            <h1>Create a Cloud Console account</h1>
            <div class="field">
              <label for="signup-email">Email</label>
              <input id="signup-email" name="email" type="email" required autocomplete="username" />
            </div>
            <NewPasswordField id="signup-password" name="password" label="Password" error={error()} />
            <ErrorMessage error={error()} besideFields={["password"]} />
            <button type="submit" disabled={isBusy()}>
              Create account
            </button>
            <p>
              Already have an account? <A href="/signin">Sign in</A>
            </p>
          </form>
        }
      >
        <h1>Check your email</h1>
        <p role="status">
          We sent a message to <strong>{sentTo()}</strong>. Open its link and enter the password you just
          chose to verify your address, then sign in.
        </p>
      </Show>
    </div>
  );
}
