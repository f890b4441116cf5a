import { createSignal, For, Show } from "solid-js";
import { groupKey } from "./code.js";

export interface QrSetupPanelProps {
  qrCode: string;
  secret: string;
}

/** S4: shown only while a setup is pending; the secret lives in memory, never in storage. */
export function QrSetupPanel(props: QrSetupPanelProps) {
  const [copyState, setCopyState] = createSignal<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
  };
  return (
    <div class="qr-panel">
      <img src={props.qrCode} alt="QR code to scan with your authenticator app" width="200" height="200" />
      <div>
        <p>Scan the QR code with your authenticator app, or enter this key manually:</p>
        <p class="manual-key">
          <code data-testid="manual-key">
            {/* Each group of four stays whole on a narrow screen; lines break only between groups. */}
            <For each={groupKey(props.secret).split(" ")}>
              {(group, index) => (
                <>
                  {index() > 0 ? " " : ""}
                  <span class="key-group">{group}</span>
                </>
              )}
            </For>
          </code>
        </p>
        <button type="button" class="secondary" onClick={copy}>
          Copy key
        </button>
        <span role="status" class="hint">
          <Show when={copyState() === "copied"}> Copied to the clipboard.</Show>
          <Show when={copyState() === "failed"}> Copy failed: select the key and copy it.</Show>
        </span>
      </div>
    </div>
  );
}
