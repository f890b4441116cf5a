import { describeError, type TwoFactorMethod } from "@cloud2fa/domain";
import { createSignal, onMount, Show } from "solid-js";
import { CodeInput } from "./code-input.js";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";

export interface StepUpClient {
  /** POST /api/me/step-up: a current code opens the sensitive actions of this session for 10 minutes. */
  stepUp: (code: string) => Promise<void>;
  /** POST /api/me/two-factor/code: mails a code (email method). */
  sendActionCode: () => Promise<void>;
}

/** Step-up: the API refused a sensitive action until the user enters a current code. */
export function isStepUpRequired(failure: unknown): boolean {
  return failure instanceof ApiError && failure.code === "STEP_UP_REQUIRED";
}

/**
 * Step-up, inline where the action was: a code from the app (or a mailed one), then `onConfirmed`
 * retries the action. Focus moves to the code field.
 */
export function StepUpPrompt(props: {
  id: string;
  method: TwoFactorMethod | null;
  /** The action waiting for the code, as a person would name it ("Delete ana@example.com"). */
  action: string;
  client: StepUpClient;
  onConfirmed: () => Promise<void> | void;
  onCancel: () => void;
}) {
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const [code, setCode] = createSignal("");
  const [notice, setNotice] = createSignal("");
  const codeId = `${props.id}-code`;
  onMount(() => document.getElementById(codeId)?.focus());

  const submit = async (value: string) => {
    if (isBusy()) return;
    setBusy(true);
    setError(null);
    try {
      await props.client.stepUp(value);
      await props.onConfirmed();
    } catch (failure) {
      setError(failure);
      setBusy(false);
      document.getElementById(codeId)?.focus();
    }
  };
  const sendCode = async () => {
    setError(null);
    setNotice("");
    try {
      await props.client.sendActionCode();
      setNotice("We emailed you a 6-digit code. It is valid for 10 minutes.");
      document.getElementById(codeId)?.focus();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <form
      class="step-up"
      aria-labelledby={`${props.id}-title`}
      onSubmit={(event) => {
        event.preventDefault();
        void submit(code());
      }}
    >
      <p id={`${props.id}-title`}>
        <strong>{describeError("STEP_UP_REQUIRED")}</strong>{" "}
        {props.method === "email"
          ? "Ask for a code by email, then enter it here."
          : "Enter the code shown in your authenticator app."}
      </p>
      <p class="hint" data-testid="step-up-action">
        Waiting for the code: <strong>{props.action}</strong>
      </p>
      <Show when={props.method === "email"}>
        <button type="button" class="secondary" onClick={() => void sendCode()}>
          Email me a code
        </button>
      </Show>
      <CodeInput
        id={codeId}
        label="Confirmation code"
        disabled={isBusy()}
        onValue={setCode}
        onComplete={(value) => void submit(value)}
      />
      <ErrorMessage error={error()} />
      <Show when={notice()}>
        <p role="status" class="notice">
          {notice()}
        </p>
      </Show>
      <div class="actions">
        <button type="submit" disabled={isBusy()}>
          {isBusy() ? "Confirming…" : "Confirm and continue"}
        </button>
        <button type="button" class="secondary" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * A card's action refused with STEP_UP_REQUIRED and waiting for a code (`retry`, null while none
 * waits): the prompt, then the action again. `onSettled` clears the wait, before the retry runs or
 * when the prompt is cancelled.
 */
export function PendingStepUpPrompt(props: {
  id: string;
  action: string;
  method: TwoFactorMethod | null;
  client: StepUpClient;
  retry: (() => Promise<void>) | null;
  onSettled: () => void;
}) {
  return (
    <Show when={props.retry}>
      {(retry) => (
        <StepUpPrompt
          id={props.id}
          action={props.action}
          method={props.method}
          client={props.client}
          onConfirmed={() => {
            const pending = retry();
            props.onSettled();
            return pending();
          }}
          onCancel={props.onSettled}
        />
      )}
    </Show>
  );
}
