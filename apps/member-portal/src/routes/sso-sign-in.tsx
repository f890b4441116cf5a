import { SsoSignInPage } from "@cloud2fa/ui";
import { A, useParams, useSearchParams } from "@solidjs/router";

/** /member/sso/{accountId}: the team's SSO sign-in address (§7.2), with `?error=` in words. */
export function SsoSignInRoute() {
  const params = useParams();
  const [query] = useSearchParams();
  const error = () => (typeof query.error === "string" ? query.error : undefined);
  return (
    <SsoSignInPage
      accountId={params.accountId ?? ""}
      error={error()}
      go={(url) => window.location.assign(url)}
    >
      <p>
        Not an SSO member?{" "}
        <A href={`/?account=${encodeURIComponent(params.accountId ?? "")}`}>
          Sign in with email and password
        </A>
        .
      </p>
    </SsoSignInPage>
  );
}
