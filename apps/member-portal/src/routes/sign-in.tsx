import { expectOk, SignInPage } from "@cloud2fa/ui";
import { useNavigate, useSearchParams } from "@solidjs/router";
import { api, challengeClient } from "../api.js";
import { refreshMe } from "../session.js";

export function SignInRoute() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <SignInPage
      title="Team Member Sign-in"
      accountId={typeof params.accountId === "string" ? params.accountId : ""}
      signIn={(input) => expectOk(api.auth.member.login.$post({ json: input }))}
      verify={challengeClient.verify}
      resend={challengeClient.resend}
      recover={challengeClient.recover}
      onSignedIn={async () => {
        await refreshMe();
        navigate("/");
      }}
    >
      <p>
        Root user? Sign in on the <a href="/signin">Cloud Console</a>.
      </p>
    </SignInPage>
  );
}
