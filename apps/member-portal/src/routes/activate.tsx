import { ErrorMessage, expectOk, NewPasswordField } from "@cloud2fa/ui";
import { A, useSearchParams } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { api } from "../api.js";

interface Activated {
  accountId: string;
  email: string;
}

/**
 * The invitation link: pending → active (the only way, SPEC §1). §6.2: the password the inviter chose
 * proves the invitation, and the member chooses its own, the only one that works from then on.
 */
export function ActivateRoute() {
  const [params] = useSearchParams();
  const token = () => (typeof params.token === "string" ? params.token : "");
  const [activated, setActivated] = createSignal<Activated | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);

  const activate = async (initialPassword: string, newPassword: string) => {
    setBusy(true);
    setError(null);
    try {
      const result = await expectOk(
        api.auth.member.activate.$post({ json: { token: token(), initialPassword, newPassword } }),
      );
      setActivated({ accountId: result.accountId, email: result.email });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="card narrow">
      <h1>Activate your account</h1>
      <Show
        when={activated()}
        fallback={
          <form
            aria-label="Activate your account"
            onSubmit={(event) => {
              event.preventDefault();
              const data = new FormData(event.currentTarget);
              void activate(String(data.get("initialPassword") ?? ""), String(data.get("newPassword") ?? ""));
            }}
          >
            <p>
              Enter the initial password the person who invited you gave you, then choose a new password of
              your own. From then on only your password works.
            </p>
            <div class="field">
              <label for="activate-initial">Initial password from your invitation</label>
              <input
                id="activate-initial"
                name="initialPassword"
                type="password"
                required
                autocomplete="off"
              />
            </div>
            <NewPasswordField
              id="activate-new"
              name="newPassword"
              label="Your new password"
              error={error()}
            />
            <ErrorMessage error={error()} besideFields={["newPassword"]} />
            <div class="actions">
              <button type="submit" disabled={isBusy()}>
                {isBusy() ? "Activating…" : "Activate account"}
              </button>
            </div>
          </form>
        }
      >
        {(done) => (
          <>
            <p role="status">
              Your account <strong>{done().email}</strong> is active. Sign in with your new password.
            </p>
            <A class="button" href={`/?account=${encodeURIComponent(done().accountId)}`}>
              Sign in
            </A>
          </>
        )}
      </Show>
    </div>
  );
}
