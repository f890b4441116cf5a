import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "@cloud2fa/domain";
import { Show } from "solid-js";
import { fieldErrorFor } from "./errors.js";

/**
 * A new password's input (§6.3), with the rules in words and, after the API refused it as weak, the
 * reason beside the field. `field` is the body field the API names (default: `name`).
 */
export function NewPasswordField(props: {
  id: string;
  name: string;
  label: string;
  error: unknown;
  field?: string;
  hint?: string;
}) {
  const reason = () => fieldErrorFor(props.error, props.field ?? props.name);
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        type="password"
        required
        minLength={MIN_PASSWORD_LENGTH}
        maxLength={MAX_PASSWORD_LENGTH * 2}
        autocomplete="new-password"
        aria-invalid={reason() ? "true" : undefined}
        aria-describedby={`${props.id}-hint${reason() ? ` ${props.id}-error` : ""}`}
      />
      <Show when={reason()}>
        <p class="error field-error" id={`${props.id}-error`} role="alert">
          {reason()}
        </p>
      </Show>
      <small id={`${props.id}-hint`}>
        {props.hint ??
          `At least ${MIN_PASSWORD_LENGTH} characters. Not a common password, and not your email address.`}
      </small>
    </div>
  );
}
