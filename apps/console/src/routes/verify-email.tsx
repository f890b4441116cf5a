import { ErrorMessage, expectOk } from "@cloud2fa/ui";
import { A, useSearchParams } from "@solidjs/router";
import { createResource, Show } from "solid-js";
import { api } from "../api.js";

export function VerifyEmailRoute() {
  const [params] = useSearchParams();
  const [result] = createResource(
    () => (typeof params.token === "string" ? params.token : ""),
    (token) => expectOk(api.auth.root["verify-email"].$post({ json: { token } })),
  );
  return (
    <div class="card narrow">
      <h1>Verify your email</h1>
      <Show when={!result.loading} fallback={<p>Verifying…</p>}>
        <Show when={!result.error} fallback={<ErrorMessage error={result.error} />}>
          <p role="status">Your email address is verified.</p>
        </Show>
        <A class="button" href="/signin">
          Sign in
        </A>
      </Show>
    </div>
  );
}
