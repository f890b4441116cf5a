import { Show } from "solid-js";
import { formatDate, methodNames, type TwoFactorSummaryView } from "./user.js";

export function TwoFactorStatus(props: { twoFactor: TwoFactorSummaryView }) {
  return (
    <p class="status-line" data-testid="two-factor-status">
      <Show
        when={props.twoFactor.enabled && props.twoFactor.method}
        fallback={<span class="badge off">Not enabled</span>}
      >
        {(method) => (
          <>
            <span class="badge on">Enabled</span> {methodNames[method()]}
            <Show when={props.twoFactor.enabledAt}>{(at) => <> since {formatDate(at())}</>}</Show>
            <Show when={props.twoFactor.locked}>
              {" "}
              <span class="badge disabled">Locked</span> after 100 wrong codes in a row
            </Show>
          </>
        )}
      </Show>
    </p>
  );
}
