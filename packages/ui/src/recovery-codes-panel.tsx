import { For } from "solid-js";

export interface RecoveryCodesPanelProps {
  codes: readonly string[];
  onSaved: () => void;
}

/** The only time the codes are shown: download them or write them down, then say so. */
export function RecoveryCodesPanel(props: RecoveryCodesPanelProps) {
  const download = () => {
    const text = `cloud2fa recovery codes (each works once)\n\n${props.codes.join("\n")}\n`;
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = "cloud2fa-recovery-codes.txt";
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <div class="notice" data-testid="recovery-codes">
      <h3>Your recovery codes</h3>
      <p>
        Each code signs you in once if you lose your second factor. They are shown only now: download or write
        them down and keep them safe.
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
        <button type="button" onClick={() => props.onSaved()}>
          I have saved them
        </button>
      </div>
    </div>
  );
}
