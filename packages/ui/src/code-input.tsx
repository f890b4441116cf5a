import { createSignal } from "solid-js";
import { extractCode, isCompleteCode } from "./code.js";

export interface CodeInputProps {
  id: string;
  label: string;
  disabled?: boolean;
  onValue?: (code: string) => void;
  /** Called once when the code becomes six digits (typed or pasted), not again for extra keystrokes. */
  onComplete: (code: string) => void;
}

/** One field for the six digits: typing or pasting "123 456" fills it and submits when full. */
export function CodeInput(props: CodeInputProps) {
  const [value, setValue] = createSignal("");
  const accept = (input: HTMLInputElement, text: string) => {
    const code = extractCode(text);
    const previous = value();
    input.value = code;
    setValue(code);
    props.onValue?.(code);
    if (isCompleteCode(code) && code !== previous) props.onComplete(code);
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
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
        aria-describedby={`${props.id}-hint`}
      />
      <small id={`${props.id}-hint`}>6 digits</small>
    </div>
  );
}
