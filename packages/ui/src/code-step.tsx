import {
  describeError,
  EMAIL_RESEND_COOLDOWN_IN_SECONDS,
  MAX_WRONG_CODES_PER_CHALLENGE,
  type TwoFactorMethod,
} from "@cloud2fa/domain";
import { createSignal, onCleanup, Show } from "solid-js";
import { formatCountdown } from "./code.js";
import { CodeInput, type CodeInputControl, codeProblem } from "./code-input.js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";

export interface CodeStepProps {
  method: TwoFactorMethod;
  verify: (code: string) => Promise<void>;
  resend?: () => Promise<void>;
  /** Sign in with a recovery code instead (absent: no link). */
  recover?: (code: string) => Promise<void>;
  /** The server's resend cooldown (S3); a prop so that a test need not wait a minute. */
  resendCooldownInSeconds?: number;
  /** Hard cap: the TWO_FACTOR_LOCKED sentence for this audience (root user or member), with what unlocks it. */
  lockedHint?: string;
  /** Hard cap: the password step already said the factor is locked; no code was mailed. */
  isLocked?: boolean;
  /** The challenge is dead (expired or too many codes): back to the password. */
  onRestart: (error: unknown) => void;
  /** "Back to sign-in": the user leaves the code step for the password step (absent: no link). */
  onBack?: () => void;
}

/** A refused code, in the words of the method in use; a setup's code cannot sign in again (S2). */
export function wrongCodeSentence(method: TwoFactorMethod): string {
  return method === "totp"
    ? "That code did not work. Enter the code your authenticator app shows now; each code works once, so if you just used one to finish the setup, wait for the next code."
    : "That code did not work. Enter the code from the latest email; asking for a new code makes the earlier ones stop working.";
}

/** S3: what is left of this sign-in's budget of wrong codes after `misses` of them. */
export function attemptsLeftSentence(misses: number): string {
  const left = Math.max(0, MAX_WRONG_CODES_PER_CHALLENGE - misses);
  return `${left} ${left === 1 ? "attempt" : "attempts"} left for this sign-in.`;
}

function isWrongCode(failure: unknown): boolean {
  return failure instanceof ApiError && failure.code === "INVALID_CODE";
}

/** The second step of sign-in (R2): a code from the app, or a mailed code with resend and its cooldown. */
export function CodeStep(props: CodeStepProps) {
  const [error, setError] = createSignal<unknown>(
    props.isLocked ? new ApiError("TWO_FACTOR_LOCKED", describeError("TWO_FACTOR_LOCKED"), 403) : null,
  );
  const [isBusy, setBusy] = createSignal(false);
  const [code, setCode] = createSignal("");
  const [notice, setNotice] = createSignal("");
  const [isRecovery, setRecovery] = createSignal(false);
  const [misses, setMisses] = createSignal(0);
  const [fieldError, setFieldError] = createSignal("");
  let codeField: CodeInputControl | undefined;
  const [recoveryCode, setRecoveryCode] = createSignal("");
  const isLocked = () => {
    const failure = error();
    return failure instanceof ApiError && failure.code === "TWO_FACTOR_LOCKED";
  };
  const cooldownInSeconds = () => props.resendCooldownInSeconds ?? EMAIL_RESEND_COOLDOWN_IN_SECONDS;
  const [cooldown, setCooldown] = createSignal(props.method === "email" ? cooldownInSeconds() : 0);
  const timer = setInterval(() => setCooldown((seconds) => Math.max(0, seconds - 1)), 1000);
  onCleanup(() => clearInterval(timer));

  const submit = async (value: string, check: (code: string) => Promise<void> = props.verify) => {
    if (isBusy()) return;
    const isCode = check === props.verify;
    const problem = isCode ? codeProblem(value) : null;
    setFieldError(problem ?? "");
    if (problem) {
      codeField?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await check(value);
    } catch (failure) {
      if (failure instanceof ApiError && ["CHALLENGE_EXPIRED", "UNAUTHENTICATED"].includes(failure.code)) {
        props.onRestart(failure);
      } else {
        setError(failure);
        if (isCode && isWrongCode(failure)) {
          setMisses((count) => count + 1);
          codeField?.clear();
          codeField?.focus();
        }
      }
    } finally {
      setBusy(false);
    }
  };
  const resend = async () => {
    if (!props.resend) return;
    setError(null);
    setNotice("");
    try {
      await props.resend();
      setNotice("A new code is on its way. The previous code no longer works.");
      setCooldown(cooldownInSeconds());
    } catch (failure) {
      if (failure instanceof ApiError && failure.retryAfterSeconds) setCooldown(failure.retryAfterSeconds);
      setError(failure);
    }
  };

  return (
    <Show when={!isRecovery() || !props.recover} fallback={recoveryForm()}>
      {codeForm()}
    </Show>
  );

  function recoveryForm() {
    return (
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          const recover = props.recover;
          if (recover) void submit(recoveryCode(), recover);
        }}
      >
        <h1>Use a recovery code</h1>
        <p>
          Enter one of the recovery codes you saved when you enabled two-factor authentication. Each works
          once.
        </p>
        <div class="field">
          <label for="recovery-code">Recovery code</label>
          <input
            id="recovery-code"
            autocomplete="off"
            spellcheck={false}
            required
            maxlength={64}
            value={recoveryCode()}
            onInput={(event) => setRecoveryCode(event.currentTarget.value)}
          />
        </div>
        <ErrorMessage error={error()} />
        <div class="actions">
          <button type="submit" disabled={isBusy()}>
            {isBusy() ? "Verifying…" : "Sign in"}
          </button>
          <button type="button" class="secondary" onClick={() => setRecovery(false)}>
            Use a code instead
          </button>
        </div>
      </form>
    );
  }

  function codeForm() {
    return (
      <form
        class="card"
        onSubmit={(event) => {
          event.preventDefault();
          void submit(code());
        }}
      >
        <h1>Two-factor authentication</h1>
        <p data-testid="code-step-method">
          {props.isLocked
            ? "No code was sent: two-factor authentication is locked."
            : props.method === "totp"
              ? "Open your authenticator app and enter the 6-digit code it shows for Cloud Console."
              : "We emailed a 6-digit code to your address. It is valid for 10 minutes."}
        </p>
        <CodeInput
          id="sign-in-code"
          label="Verification code"
          disabled={isBusy()}
          error={fieldError()}
          control={(control) => {
            codeField = control;
          }}
          onValue={setCode}
          onComplete={(value) => {
            setCode(value);
            void submit(value);
          }}
        />
        <Show
          when={isLocked() && props.lockedHint}
          fallback={
            <Show when={isWrongCode(error())} fallback={<ErrorMessage error={error()} />}>
              <p class="error" role="alert">
                {wrongCodeSentence(props.method)}{" "}
                <span data-testid="attempts-left">{attemptsLeftSentence(misses())}</span>
              </p>
            </Show>
          }
        >
          <p class="error" role="alert" data-testid="locked-hint">
            {props.lockedHint}
          </p>
        </Show>
        <Show when={notice()}>
          <p role="status" class="notice">
            {notice()}
          </p>
        </Show>
        <div class="actions">
          <button type="submit" disabled={isBusy()}>
            {isBusy() ? "Verifying…" : "Verify"}
          </button>
          <Show when={props.method === "email" && props.resend && !props.isLocked}>
            <button type="button" class="secondary" disabled={cooldown() > 0} onClick={resend}>
              {cooldown() > 0 ? `Resend code in ${formatCountdown(cooldown())}` : "Resend code"}
            </button>
          </Show>
          <Show when={props.recover}>
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setError(null);
                setRecovery(true);
              }}
            >
              Use a recovery code
            </button>
          </Show>
        </div>
        <Show when={props.onBack}>
          {(back) => (
            <p class="back-link">
              <button type="button" class="link" onClick={() => back()()}>
                ← Back to sign-in
              </button>
            </p>
          )}
        </Show>
      </form>
    );
  }
}
