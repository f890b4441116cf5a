import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { CopyButton } from "./copy-button.js";

export interface RecoveryCodesPanelProps {
  codes: readonly string[];
  onSaved: () => void;
}

const SAVE_FIRST =
  "Save your recovery codes first: they are shown only now. Then choose “I have saved them”.";

/**
 * The only time the codes are shown: download, copy or print them, then say so. Until then, leaving
 * the page (a link, a reload, closing the tab) is held back.
 */
export function RecoveryCodesPanel(props: RecoveryCodesPanelProps) {
  const [isHeldBack, setHeldBack] = createSignal(false);
  let savedButton: HTMLButtonElement | undefined;
  const text = () => `cloud2fa recovery codes (each works once)\n\n${props.codes.join("\n")}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text()], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "cloud2fa-recovery-codes.txt";
    link.click();
    URL.revokeObjectURL(url);
  };
  const warnBeforeUnload = (event: BeforeUnloadEvent) => {
    event.preventDefault();
  };
  /** A link elsewhere in the app (the navigation) waits for "I have saved them". */
  const holdLinks = (event: MouseEvent) => {
    const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
    if (!link || link.closest("[data-testid=recovery-codes]")) return;
    // The router leaves a click whose default is prevented alone.
    event.preventDefault();
    setHeldBack(true);
    savedButton?.focus();
  };
  onMount(() => {
    window.addEventListener("beforeunload", warnBeforeUnload);
    document.addEventListener("click", holdLinks, true);
  });
  onCleanup(() => {
    window.removeEventListener("beforeunload", warnBeforeUnload);
    document.removeEventListener("click", holdLinks, true);
  });
  return (
    <section class="recovery-codes-panel" data-testid="recovery-codes" aria-labelledby="recovery-codes-title">
      <h3 id="recovery-codes-title">Your recovery codes</h3>
      <p>
        Each code signs you in once if you lose your second factor. They are shown only now: download, copy or
        print them and keep them somewhere safe.
      </p>
      <ul class="recovery-codes">
        <For each={props.codes}>
          {(code) => (
            <li>
              <code>{code}</code>
            </li>
          )}
        </For>
      </ul>
      <div class="actions">
        <button type="button" class="secondary" onClick={download}>
          Download
        </button>
        <button type="button" class="secondary" onClick={() => window.print()}>
          Print
        </button>
        <CopyButton text={text()} label="Copy" class="secondary" />
      </div>
      <Show when={isHeldBack()}>
        <p class="error" role="alert">
          {SAVE_FIRST}
        </p>
      </Show>
      <div class="actions">
        <button type="button" ref={savedButton} onClick={() => props.onSaved()}>
          I have saved them
        </button>
      </div>
    </section>
  );
}
