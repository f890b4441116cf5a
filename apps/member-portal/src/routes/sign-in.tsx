import { expectOk, SignInPage } from "@cloud2fa/ui";
import { useNavigate, useSearchParams } from "@solidjs/router";
import { api, challengeClient } from "../api.js";
import { refreshMe } from "../session.js";

/** `?account=` fills in the account ID; `?accountId=` is what earlier invitation mails carry. */
function accountIdOf(params: Partial<Record<string, string | string[]>>): string {
  const given = params.account ?? params.accountId;
  return typeof given === "string" ? given : "";
}

/** §6.1: the forgot page with the account ID and address typed so far. */
function forgotPasswordHref(typed: { accountId: string; email: string }): string {
  const query = new URLSearchParams();
  if (typed.accountId) query.set("account", typed.accountId);
  if (typed.email) query.set("email", typed.email);
  return `/member/forgot-password${query.size > 0 ? `?${query}` : ""}`;
}

export function SignInRoute() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <SignInPage
      title="Team Member Sign-in"
      accountId={accountIdOf(params)}
      signIn={(input) => expectOk(api.auth.member.login.$post({ json: input }))}
      verify={challengeClient.verify}
      resend={challengeClient.resend}
      recover={challengeClient.recover}
      forgotPasswordHref={forgotPasswordHref}
      onSignedIn={async () => {
        await refreshMe();
        navigate("/");
      }}
    >
      <p>
        Your team uses single sign-on?{" "}
        <a href={`/member/sso${accountIdOf(params) ? `/${encodeURIComponent(accountIdOf(params))}` : ""}`}>
          Sign in with SSO
        </a>
        .
      </p>
      <p>
        Root user? Sign in on the <a href="/signin">Cloud Console</a>.
      </p>
    </SignInPage>
  );
}
