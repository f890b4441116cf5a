import { expectOk, SignInPage } from "@cloud2fa/ui";
import { A, useNavigate } from "@solidjs/router";
import { api, challengeClient } from "../api.js";
import { refreshMe } from "../session.js";

export function SignInRoute() {
  const navigate = useNavigate();
  return (
    <SignInPage
      title="Sign in to the Cloud Console"
      signIn={({ email, password }) => expectOk(api.auth.root.login.$post({ json: { email, password } }))}
      verify={challengeClient.verify}
      resend={challengeClient.resend}
      recover={challengeClient.recover}
      forgotPasswordHref={({ email }) =>
        `/forgot-password${email ? `?email=${encodeURIComponent(email)}` : ""}`
      }
      onSignedIn={async () => {
        await refreshMe();
        navigate("/");
      }}
    >
      <p>
        No account yet? <A href="/signup">Create one</A>. Team member? Use your team's{" "}
        <a href="/member/">team member sign-in page</a>.
      </p>
    </SignInPage>
  );
}
