import { describeError, isSsoSignInRefusal } from "@cloud2fa/domain";
import { createSignal, type JSX, Show } from "solid-js";
import { isErrorCode } from "./errors.js";

/** Where "Sign in with SSO" goes: the API starts the provider's sign-in (§7.2). */
export function ssoStartUrl(
  accountId: string,
  options: { stepUp?: boolean; returnTo?: string } = {},
): string {
  const query = new URLSearchParams();
  if (options.stepUp) query.set("stepUp", "1");
  if (options.returnTo) query.set("returnTo", options.returnTo);
  const search = query.toString();
  return `/api/auth/sso/${encodeURIComponent(accountId)}/start${search ? `?${search}` : ""}`;
}

/** The sentence for `?error=` of the SSO sign-in page; a code it does not know gets a general one. */
export function ssoErrorSentence(code: string | undefined): string | null {
  if (!code) return null;
  if (isSsoSignInRefusal(code) || isErrorCode(code)) return describeError(code);
  return "The sign-in through your identity provider did not complete. Try again.";
}

/** §7.2: "Sign in with SSO", from the account ID or the team's SSO address (/member/sso/{accountId}). */
export function SsoSignInPage(props: {
  accountId: string;
  error?: string | undefined;
  /** Opens the provider's sign-in (a full page navigation). */
  go: (url: string) => void;
  children?: JSX.Element;
}) {
  const [accountId, setAccountId] = createSignal(props.accountId);
  const sentence = () => ssoErrorSentence(props.error);
  return (
    <section class="card" aria-labelledby="sso-sign-in-title">
      <h1 id="sso-sign-in-title">Sign in with SSO</h1>
      <p>Your team signs you in through its identity provider (its own sign-in page and second factor).</p>
      <Show when={sentence()}>
        <p class="error" role="alert">
          {sentence()}
        </p>
      </Show>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const id = accountId().trim();
          if (id) props.go(ssoStartUrl(id));
        }}
      >
        <div class="field">
          <label for="sso-account-id">Account ID</label>
          <input
            id="sso-account-id"
            name="accountId"
            required
            value={accountId()}
            onInput={(event) => setAccountId(event.currentTarget.value)}
            autocomplete="organization"
          />
        </div>
        <button type="submit">Sign in with SSO</button>
      </form>
      {props.children}
    </section>
  );
}

/** §7.3: an SSO member's second factor is its identity provider's (R6: none here). */
export function SsoTwoFactorNotice() {
  return (
    <section class="card" aria-labelledby="sso-two-factor-title">
      <h2 id="sso-two-factor-title">Two-factor authentication</h2>
      <p data-testid="sso-two-factor-notice">
        Two-factor authentication for your account is managed by your team's identity provider. You sign in
        through single sign-on, and the identity provider asks for your second factor.
      </p>
    </section>
  );
}

/**
 * §7.3 step-up of an SSO member: a fresh sign-in at its identity provider (prompt=login,
 * max_age=0), which brings it back to this page; the action is then done again.
 */
export function SsoStepUpPrompt(props: { accountId: string; action: string; onCancel: () => void }) {
  const returnTo = () =>
    /^\/member\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]*$/.test(window.location.pathname)
      ? window.location.pathname
      : "/member/";
  return (
    <section class="step-up" aria-label="Confirm it is you">
      <p>
        <strong>Confirm it is you:</strong> sign in again at your identity provider, then do it again.
      </p>
      <p class="hint" data-testid="step-up-action">
        Waiting for the confirmation: <strong>{props.action}</strong>
      </p>
      <div class="actions">
        <button
          type="button"
          onClick={() =>
            window.location.assign(ssoStartUrl(props.accountId, { stepUp: true, returnTo: returnTo() }))
          }
        >
          Confirm at your identity provider
        </button>
        <button type="button" class="secondary" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </section>
  );
}
