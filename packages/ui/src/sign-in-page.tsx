import type { TwoFactorMethod } from "@cloud2fa/domain";
import { createSignal, type JSX, Show } from "solid-js";
import { CodeStep } from "./code-step.js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";

export type SignInResultView =
  | { status: "authenticated" }
  | { status: "two_factor_required"; challengeId: string; method: TwoFactorMethod; isLocked?: true };

export interface SignInInput {
  accountId: string;
  email: string;
  password: string;
}

export interface SignInPageProps {
  title: string;
  /** Shown for the team member sign-in: the account ID of the team. */
  accountId?: string;
  signIn: (input: SignInInput) => Promise<SignInResultView>;
  verify: (challengeId: string, code: string) => Promise<void>;
  resend: (challengeId: string) => Promise<void>;
  recover?: (challengeId: string, code: string) => Promise<void>;
  onSignedIn: () => void;
  /** §6.1: where "Forgot password?" leads, given the account ID and address typed so far. */
  forgotPasswordHref?: (typed: { accountId: string; email: string }) => string;
  children?: JSX.Element;
}

/** Password, then the second factor (R2): the challenge id lives only in memory. */
export function SignInPage(props: SignInPageProps) {
  const [challenge, setChallenge] = createSignal<{
    id: string;
    method: TwoFactorMethod;
    isLocked: boolean;
  } | null>(null);
  // Hard cap: what unlocks a locked factor, for this audience (a member hears it at the password step).
  const lockedHint =
    props.accountId === undefined
      ? "Two-factor authentication is locked after 100 wrong codes in a row. Sign in with one of your recovery codes to unlock it: choose “Use a recovery code”."
      : "Two-factor authentication is locked after 100 wrong codes in a row. Ask the root user of your team to remove it (Team page, Remove 2FA), then sign in with your password and set it up again.";
  const isLocked = (failure: unknown) => failure instanceof ApiError && failure.code === "TWO_FACTOR_LOCKED";
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  // Kept for "Back to sign-in" from the code step: the account and address come back filled in.
  const [entered, setEntered] = createSignal({ accountId: props.accountId ?? "", email: "" });
  const [typed, setTyped] = createSignal({ accountId: props.accountId ?? "", email: "" });
  const noteTyped = (form: HTMLFormElement) => {
    const data = new FormData(form);
    setTyped({
      accountId: String(data.get("accountId") ?? "").trim(),
      email: String(data.get("email")).trim(),
    });
  };
  const submit = async (form: HTMLFormElement) => {
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    try {
      const accountId = String(data.get("accountId") ?? "").trim();
      const email = String(data.get("email")).trim();
      setEntered({ accountId, email });
      const result = await props.signIn({ accountId, email, password: String(data.get("password")) });
      if (result.status === "authenticated") props.onSignedIn();
      else
        setChallenge({ id: result.challengeId, method: result.method, isLocked: result.isLocked === true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Show
      when={challenge()}
      fallback={
        <form
          class="card narrow"
          onSubmit={(event) => {
            event.preventDefault();
            void submit(event.currentTarget);
          }}
          onInput={(event) => noteTyped(event.currentTarget)}
        >
          <h1>{props.title}</h1>
          <Show when={props.accountId !== undefined}>
            <div class="field">
              <label for="account-id">Account ID</label>
              <input
                id="account-id"
                name="accountId"
                required
                autocomplete="organization"
                value={entered().accountId || (props.accountId ?? "")}
              />
            </div>
          </Show>
          <div class="field">
            <label for="email">Email</label>
            <input
              id="email"
              name="email"
              type="email"
              required
              autocomplete="username"
              value={entered().email}
            />
          </div>
          <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" required autocomplete="current-password" />
          </div>
          <Show when={props.forgotPasswordHref}>
            {(hrefOf) => (
              <p>
                <a href={hrefOf()(typed())} data-testid="forgot-password">
                  Forgot password?
                </a>
              </p>
            )}
          </Show>
          <Show when={isLocked(error())} fallback={<ErrorMessage error={error()} />}>
            <p class="error" role="alert" data-testid="locked-hint">
              {lockedHint}
            </p>
          </Show>
          <button type="submit" disabled={isBusy()}>
            {isBusy() ? "Signing in…" : "Sign in"}
          </button>
          {props.children}
        </form>
      }
    >
      {(pending) => (
        <div class="narrow">
          <CodeStep
            method={pending().method}
            verify={async (code) => {
              await props.verify(pending().id, code);
              props.onSignedIn();
            }}
            resend={() => props.resend(pending().id)}
            lockedHint={lockedHint}
            isLocked={pending().isLocked}
            {...(props.recover
              ? {
                  recover: async (code: string) => {
                    await props.recover?.(pending().id, code);
                    props.onSignedIn();
                  },
                }
              : {})}
            onRestart={(failure) => {
              setChallenge(null);
              setError(failure);
            }}
            onBack={() => {
              setChallenge(null);
              setError(null);
            }}
          />
        </div>
      )}
    </Show>
  );
}
