import { Show } from "solid-js";
import { ApiError, fieldErrorFor, sentenceFor } from "./errors.js";

/**
 * The sentence for a failed request, announced to screen readers. A refusal about one of the form's
 * `besideFields` (a weak new password, shown by its NewPasswordField) is left to that field.
 */
export function ErrorMessage(props: { error: unknown; besideFields?: readonly string[] }) {
  const isShownBesideField = () => {
    const error = props.error;
    if (!(error instanceof ApiError) || error.field === null) return false;
    return (props.besideFields ?? []).includes(error.field) && fieldErrorFor(error, error.field) !== null;
  };
  return (
    <Show when={props.error && !isShownBesideField()}>
      <p class="error" role="alert">
        {sentenceFor(props.error)}
      </p>
    </Show>
  );
}
