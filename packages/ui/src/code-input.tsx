import { createSignal, Show } from "solid-js";
import { extractCode, isCompleteCode } from "./code.js";

/** What a form may do with its code field: clear a refused code and put the cursor back in it. */
export interface CodeInputControl {
  clear: () => void;
  focus: () => void;
}

export interface CodeInputProps {
  id: string;
  label: string;
  disabled?: boolean;
  /** A problem with what was entered, shown at the field ("Enter the 6-digit code."). */
  error?: string;
  onValue?: (code: string) => void;
  /** Called once when the code becomes six digits (typed or pasted), not again for extra keystrokes. */
  onComplete: (code: string) => void;
  control?: (control: CodeInputControl) => void;
}

/** Why a code is not sent yet, or null when it has its six digits. */
export function codeProblem(code: string): string | null {
  if (code === "") return "Enter the 6-digit code.";
  return isCompleteCode(code) ? null : "Enter all 6 digits of the code.";
}

/** One field for the six digits: typing or pasting "123 456" fills it and submits when full. */
export function CodeInput(props: CodeInputProps) {
  const [value, setValue] = createSignal("");
  let input: HTMLInputElement | undefined;
  const accept = (field: HTMLInputElement, text: string) => {
    const code = extractCode(text);
    const previous = value();
    field.value = code;
    setValue(code);
    props.onValue?.(code);
    if (isCompleteCode(code) && code !== previous) props.onComplete(code);
  };
  props.control?.({
    clear: () => {
      if (input) input.value = "";
      setValue("");
      props.onValue?.("");
    },
    // After a refused code the field may still be disabled for a moment (busy): focus once it is not.
    focus: () => queueMicrotask(() => input?.focus()),
  });
  const hintId = `${props.id}-hint`;
  const errorId = `${props.id}-error`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        ref={input}
        id={props.id}
        class="code-input"
        name="code"
        type="text"
        inputmode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9]*"
        maxlength={7}
        placeholder="000000"
        disabled={props.disabled}
        value={value()}
        onInput={(event) => accept(event.currentTarget, event.currentTarget.value)}
        onPaste={(event) => {
          event.preventDefault();
          accept(event.currentTarget, event.clipboardData?.getData("text") ?? "");
        }}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${errorId} ${hintId}` : hintId}
      />
      <Show when={props.error}>
        <small id={errorId} class="field-error" role="alert">
          {props.error}
        </small>
      </Show>
      <small id={hintId}>6 digits</small>
    </div>
  );
}
