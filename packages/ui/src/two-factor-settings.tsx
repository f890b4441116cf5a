import {
  allowedTwoFactorMethods,
  canConfigureTwoFactor,
  canHaveRecoveryCodes,
  canRemoveOwnTwoFactor,
  describeError,
  type ErrorCode,
  type TwoFactorMethod,
} from "@cloud2fa/domain";
import { createMemo, createSignal, For, Match, Show, Switch } from "solid-js";
import { CodeInput, type CodeInputControl, codeProblem } from "./code-input.js";
import { ErrorMessage } from "./error-message.js";
import { QrSetupPanel } from "./qr-setup-panel.js";
import { RecoveryCodesPanel } from "./recovery-codes-panel.js";
import { TwoFactorStatus } from "./two-factor-status.js";
import { type MeView, methodNames, toDomainUser, toTwoFactorState } from "./user.js";

export type SetupStartedView =
  | { method: "totp"; secret: string; qrCode: string; expiresAt: string }
  | { method: "email"; maskedEmail: string; expiresAt: string };

export interface TwoFactorClient {
  startSetup: (method: TwoFactorMethod, password: string) => Promise<SetupStartedView>;
  /** Resolves to the recovery codes, when the user gets them (shown once). */
  confirmSetup: (code: string) => Promise<readonly string[] | null>;
  regenerateRecoveryCodes: (code: string) => Promise<readonly string[]>;
  sendActionCode: () => Promise<void>;
  removeOwn: (code: string) => Promise<void>;
}

export interface TwoFactorSettingsProps {
  me: MeView;
  client: TwoFactorClient;
  consoleHref: string;
  consoleName: string;
  onChanged: () => void;
  /** The team lets members have recovery codes (the root user always has them). */
  allowMemberRecoveryCodes?: boolean;
}

/** Why setup is unavailable, in the words of the rule (R1, R3, R6). */
export function setupUnavailableReason(reason: ErrorCode, isMember: boolean): string {
  if (reason === "TWO_FACTOR_ALREADY_CONFIGURED" && isMember) {
    return "Two-factor authentication is already configured. Only the root user can remove it — contact your root user.";
  }
  if (reason === "ACCOUNT_NOT_ACTIVE") {
    return "Your account is not active: two-factor authentication can be set up once the account is active.";
  }
  return describeError(reason);
}

export function TwoFactorSettings(props: TwoFactorSettingsProps) {
  const user = createMemo(() => toDomainUser(props.me));
  const state = createMemo(() => toTwoFactorState(props.me.twoFactor));
  const methods = createMemo(() => allowedTwoFactorMethods(user()));
  const [method, setMethod] = createSignal<TwoFactorMethod>("totp");
  const [password, setPassword] = createSignal("");
  const [pending, setPending] = createSignal<SetupStartedView | null>(null);
  const [isDone, setDone] = createSignal(false);
  const [error, setError] = createSignal<unknown>(null);
  const [isBusy, setBusy] = createSignal(false);
  const [recoveryCodes, setRecoveryCodes] = createSignal<readonly string[] | null>(null);
  const [isRemoved, setRemoved] = createSignal(false);
  const hasRecoveryCodes = () =>
    canHaveRecoveryCodes(props.me, { allowMemberRecoveryCodes: props.allowMemberRecoveryCodes ?? false });

  const run = async (action: () => Promise<void>) => {
    if (isBusy()) return;
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const start = () =>
    run(async () => {
      setRemoved(false);
      setPending(await props.client.startSetup(method(), password()));
      setPassword("");
    });
  const confirm = (value: string) =>
    run(async () => {
      setRecoveryCodes(await props.client.confirmSetup(value));
      setPending(null);
      setDone(true);
      props.onChanged();
    });
  /** Run by the removal form inside its own `run`. */
  const remove = async (value: string) => {
    await props.client.removeOwn(value);
    setDone(false);
    setRemoved(true);
    props.onChanged();
  };

  return (
    <section class="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title">Two-Factor Authentication</h2>
      <Switch>
        <Match when={!isDone() && recoveryCodes()}>
          {(codes) => <RecoveryCodesPanel codes={codes()} onSaved={() => setRecoveryCodes(null)} />}
        </Match>
        <Match when={isDone()}>
          <div class="success" role="status">
            <strong>Two-factor authentication is enabled.</strong> Test it right away: sign out and sign in
            again with a code, while you can still fix a mistake.
          </div>
          <Show
            when={recoveryCodes()}
            fallback={
              <a class="button" href={props.consoleHref}>
                Back to the {props.consoleName}
              </a>
            }
          >
            {(codes) => <RecoveryCodesPanel codes={codes()} onSaved={() => setRecoveryCodes(null)} />}
          </Show>
        </Match>
        <Match when={state().state === "enabled"}>
          <TwoFactorStatus twoFactor={props.me.twoFactor} />
          <ManageTwoFactor
            me={props.me}
            client={props.client}
            hasRecoveryCodes={hasRecoveryCodes()}
            canRemove={canRemoveOwnTwoFactor(user(), state()).ok}
            isBusy={isBusy()}
            run={run}
            onRecoveryCodes={setRecoveryCodes}
            onRemove={remove}
          />
        </Match>
        <Match when={!canConfigureTwoFactor(user(), state()).ok}>
          <TwoFactorStatus twoFactor={props.me.twoFactor} />
          <p class="notice" data-testid="setup-unavailable">
            {(() => {
              const decision = canConfigureTwoFactor(user(), state());
              return decision.ok ? "" : setupUnavailableReason(decision.reason, props.me.kind === "member");
            })()}
          </p>
        </Match>
        <Match when={pending()}>
          {(setup) => (
            <ConfirmSetupForm
              setup={setup()}
              isBusy={isBusy()}
              onConfirm={confirm}
              onCancel={() => setPending(null)}
            />
          )}
        </Match>
        <Match when={true}>
          <Show when={isRemoved()} fallback={<TwoFactorStatus twoFactor={props.me.twoFactor} />}>
            <div class="success" role="status" data-testid="two-factor-removed">
              <strong>Two-factor authentication is removed.</strong> Your sign-in now asks only for your
              password. You can set it up again below.
            </div>
          </Show>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void start();
            }}
          >
            <fieldset>
              <legend>Method</legend>
              <For each={methods()}>
                {(option) => (
                  <label class="choice">
                    <input
                      type="radio"
                      name="method"
                      value={option}
                      checked={method() === option}
                      onChange={() => setMethod(option)}
                    />{" "}
                    {methodNames[option]}
                  </label>
                )}
              </For>
            </fieldset>
            <div class="field">
              <label for="setup-password">Your password</label>
              <input
                id="setup-password"
                type="password"
                autocomplete="current-password"
                required
                value={password()}
                onInput={(event) => setPassword(event.currentTarget.value)}
              />
              <small>Enter your password again to start the setup.</small>
            </div>
            <button type="submit" disabled={isBusy()}>
              {isBusy() ? "Starting…" : "Set up two-factor authentication"}
            </button>
          </form>
        </Match>
      </Switch>
      <ErrorMessage error={error()} />
    </section>
  );
}

/** The pending setup: the QR code or the mailed code's address, and the code that turns 2FA on (R8). */
function ConfirmSetupForm(props: {
  setup: SetupStartedView;
  isBusy: boolean;
  onConfirm: (code: string) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = createSignal("");
  const [fieldError, setFieldError] = createSignal("");
  let field: CodeInputControl | undefined;
  const totp = () => (props.setup.method === "totp" ? props.setup : null);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        const problem = codeProblem(code());
        setFieldError(problem ?? "");
        if (problem) field?.focus();
        else props.onConfirm(code());
      }}
    >
      <Show
        when={totp()}
        fallback={
          <p>
            We emailed a 6-digit code to{" "}
            <strong>{(props.setup as Extract<SetupStartedView, { method: "email" }>).maskedEmail}</strong>.
          </p>
        }
      >
        {(pending) => <QrSetupPanel qrCode={pending().qrCode} secret={pending().secret} />}
      </Show>
      <p>Enter the code to confirm: two-factor authentication is on only after this step.</p>
      <CodeInput
        id="confirm-code"
        label="Verification code"
        disabled={props.isBusy}
        error={fieldError()}
        control={(control) => {
          field = control;
        }}
        onValue={setCode}
        onComplete={props.onConfirm}
      />
      <div class="actions">
        <button type="submit" disabled={props.isBusy}>
          Confirm and enable
        </button>
        <button type="button" class="secondary" onClick={() => props.onCancel()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * One action that needs a current code: its own field, its own "Email me a code" for the email method,
 * and an empty submit answered at the field rather than sent.
 */
function CodeActionForm(props: {
  id: string;
  title: string;
  description: string;
  label: string;
  submitLabel: string;
  submitClass: "secondary" | "danger";
  method: TwoFactorMethod | null;
  client: TwoFactorClient;
  isBusy: boolean;
  run: (action: () => Promise<void>) => Promise<void>;
  onCode: (code: string) => Promise<void>;
}) {
  const [code, setCode] = createSignal("");
  const [fieldError, setFieldError] = createSignal("");
  const [notice, setNotice] = createSignal("");
  let field: CodeInputControl | undefined;
  return (
    <form
      class="code-action"
      aria-labelledby={`${props.id}-title`}
      onSubmit={(event) => {
        event.preventDefault();
        const problem = codeProblem(code());
        setFieldError(problem ?? "");
        if (problem) field?.focus();
        else void props.run(() => props.onCode(code()));
      }}
    >
      <h3 id={`${props.id}-title`}>{props.title}</h3>
      <p>{props.description}</p>
      <Show when={props.method === "email"}>
        <p>
          <button
            type="button"
            class="secondary"
            onClick={() =>
              props.run(async () => {
                await props.client.sendActionCode();
                setNotice("We emailed you a 6-digit code. It is valid for 10 minutes.");
                field?.focus();
              })
            }
          >
            Email me a code
          </button>
          <Show when={notice()}>
            <span role="status" class="hint">
              {" "}
              {notice()}
            </span>
          </Show>
        </p>
      </Show>
      <CodeInput
        id={props.id}
        label={props.label}
        error={fieldError()}
        control={(control) => {
          field = control;
        }}
        onValue={(value) => {
          setCode(value);
          if (fieldError() && !codeProblem(value)) setFieldError("");
        }}
        onComplete={setCode}
      />
      <button type="submit" class={props.submitClass} disabled={props.isBusy}>
        {props.submitLabel}
      </button>
    </form>
  );
}

/** Enabled 2FA: new recovery codes, and removal with a current code for whoever may remove it (R4, R10). */
function ManageTwoFactor(props: {
  me: MeView;
  client: TwoFactorClient;
  hasRecoveryCodes: boolean;
  canRemove: boolean;
  isBusy: boolean;
  run: (action: () => Promise<void>) => Promise<void>;
  onRecoveryCodes: (codes: readonly string[]) => void;
  onRemove: (code: string) => Promise<void>;
}) {
  return (
    <>
      <Show when={props.hasRecoveryCodes}>
        <CodeActionForm
          id="renew-code"
          title="Recovery codes"
          description="Make a new set of recovery codes with a current code: the old set stops working."
          label="Code for new recovery codes"
          submitLabel="Make new recovery codes"
          submitClass="secondary"
          method={props.me.twoFactor.method}
          client={props.client}
          isBusy={props.isBusy}
          run={props.run}
          onCode={async (code) => props.onRecoveryCodes(await props.client.regenerateRecoveryCodes(code))}
        />
      </Show>
      <Show
        when={props.canRemove}
        fallback={<p class="notice">{setupUnavailableReason("TWO_FACTOR_ALREADY_CONFIGURED", true)}</p>}
      >
        <CodeActionForm
          id="remove-code"
          title="Remove two-factor authentication"
          description="Enter a current code to remove it. Your sign-in will then ask only for your password."
          label="Current code"
          submitLabel="Remove two-factor authentication"
          submitClass="danger"
          method={props.me.twoFactor.method}
          client={props.client}
          isBusy={props.isBusy}
          run={props.run}
          onCode={props.onRemove}
        />
      </Show>
    </>
  );
}
