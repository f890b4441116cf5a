import { ApiError, ErrorMessage, expectOk } from "@cloud2fa/ui";
import { A, useSearchParams } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { api } from "../api.js";

/**
 * S6 (pre-hijack): the link alone verifies nothing; the password chosen at sign-up picks which
 * sign-up of this address becomes the account, so someone else's sign-up cannot plant its password.
 */
export function VerifyEmailRoute() {
  const [params] = useSearchParams();
  const token = () => (typeof params.token === "string" ? params.token : "");
  const [isVerified, setVerified] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const failure = () => {
    const failed = error();
    return failed instanceof ApiError ? failed.code : null;
  };
  return (
    <div class="card narrow">
      <h1>Verify your email</h1>
      <Show
        when={!isVerified()}
        fallback={
          <>
            <p role="status">Your email address is verified.</p>
            <A class="button" href="/signin">
              Sign in
            </A>
          </>
        }
      >
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            const password = String(new FormData(event.currentTarget).get("password"));
            setBusy(true);
            setError(null);
            try {
              await expectOk(api.auth.root["verify-email"].$post({ json: { token: token(), password } }));
              setVerified(true);
            } catch (failed) {
              setError(failed);
            } finally {
              setBusy(false);
            }
          }}
        >
          <p>To finish creating your account, enter the password you chose when you signed up.</p>
          <div class="field">
            <label for="verify-password">Password you chose at sign-up</label>
            <input
              id="verify-password"
              name="password"
              type="password"
              required
              autocomplete="current-password"
            />
          </div>
          <Show when={failure() === "INVALID_CREDENTIALS"} fallback={<ErrorMessage error={error()} />}>
            <p class="error" role="alert">
              That is not the password chosen when this address signed up. Enter the password you chose when
              you created your account.
            </p>
          </Show>
          <Show when={failure() === "INVALID_TOKEN" || !token()}>
            <p>
              You can <A href="/signup">sign up again</A> to get a new link, or <A href="/signin">sign in</A>{" "}
              if your address is already verified.
            </p>
          </Show>
          <Show when={!token()}>
            <ErrorMessage error={new ApiError("INVALID_TOKEN", "", 400)} />
          </Show>
          <button type="submit" disabled={isBusy() || !token()}>
            Verify email
          </button>
        </form>
      </Show>
    </div>
  );
}
