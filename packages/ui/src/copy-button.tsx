import { createSignal, Show } from "solid-js";

/** "Copy" beside a value a person would otherwise select by hand; says whether it worked. */
export function CopyButton(props: { text: string; label: string; class?: string }) {
  const [state, setState] = createSignal<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setState("copied");
    } catch {
      setState("failed");
    }
  };
  return (
    <>
      <button
        type="button"
        class={props.class ?? "secondary small"}
        aria-label={props.label === "Copy" ? undefined : props.label}
        onClick={() => void copy()}
      >
        Copy
      </button>
      <span role="status" class="hint">
        <Show when={state() === "copied"}> Copied.</Show>
        <Show when={state() === "failed"}> Copy failed: select it and copy it.</Show>
      </span>
    </>
  );
}
