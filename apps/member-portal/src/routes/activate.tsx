import { ErrorMessage, expectOk } from "@cloud2fa/ui";
import { A, useSearchParams } from "@solidjs/router";
import { createResource, Show } from "solid-js";
import { api } from "../api.js";

/** The invitation link: pending → active (the only way, SPEC §1). */
export function ActivateRoute() {
  const [params] = useSearchParams();
  const [result] = createResource(
    () => (typeof params.token === "string" ? params.token : ""),
    (token) => expectOk(api.auth.member.activate.$post({ json: { token } })),
  );
  return (
    <div class="card narrow">
      <h1>Activate your account</h1>
      <Show when={!result.loading} fallback={<p>Activating…</p>}>
        <Show when={result()} fallback={<ErrorMessage error={result.error} />}>
          {(activated) => (
            <>
              <p role="status">
                Your account <strong>{activated().email}</strong> is active.
              </p>
              <A class="button" href={`/?account=${encodeURIComponent(activated().accountId)}`}>
                Sign in
              </A>
            </>
          )}
        </Show>
      </Show>
    </div>
  );
}
