import { Show } from "solid-js";
import { sentenceFor } from "./errors.js";

/** The sentence for a failed request, announced to screen readers. */
export function ErrorMessage(props: { error: unknown }) {
  return (
    <Show when={props.error}>
      <p class="error" role="alert">
        {sentenceFor(props.error)}
      </p>
    </Show>
  );
}
