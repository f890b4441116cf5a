import { ApiError, ErrorMessage } from "@cloud2fa/ui";
import { A, useSearchParams } from "@solidjs/router";
import { createSignal, Match, onMount, Switch } from "solid-js";
import { confirmEmailChange } from "../api.js";
import { me, refreshMe } from "../session.js";

/**
 * §6.4: the link's page. The token alone proves the new mailbox, so it works in any browser, signed
 * in or not; a signed-in tab then shows the new address.
 */
export function ConfirmEmailRoute() {
  const [params] = useSearchParams();
  const token = typeof params.token === "string" ? params.token : "";
  const [email, setEmail] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(token ? null : new ApiError("INVALID_TOKEN", "", 400));
  const isTaken = () => {
    const failed = error();
    return failed instanceof ApiError && failed.code === "EMAIL_TAKEN";
  };
  onMount(async () => {
    if (!token) return;
    try {
      setEmail((await confirmEmailChange(token)).email);
      await refreshMe();
    } catch (failed) {
      setError(failed);
    }
  });
  return (
    <div class="card narrow">
      <h1>Confirm your new email address</h1>
      <Switch fallback={<p role="status">Confirming…</p>}>
        <Match when={email()}>
          {(address) => (
            <>
              <p role="status" data-testid="email-confirmed">
                Your sign-in address is now <strong>{address()}</strong>. Sign in with it from now on.
              </p>
              <A class="button" href={me() ? "/settings/security" : "/signin"}>
                {me() ? "Back to Security" : "Sign in"}
              </A>
            </>
          )}
        </Match>
        <Match when={isTaken()}>
          <p class="error" role="alert">
            This address already signs in to another account, so it cannot become yours. Nothing changed.
          </p>
        </Match>
        <Match when={error()}>
          <ErrorMessage error={error()} />
          <p>
            Ask for a new link from <A href="/settings/security">Settings › Security</A>: the newest link
            works once, for 24 hours.
          </p>
        </Match>
      </Switch>
    </div>
  );
}
