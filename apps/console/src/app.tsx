import { AccountMenu, CopyButton, Layout, Protected as SignedIn, TwoFactorStatus } from "@cloud2fa/ui";
import { A, Navigate, Route, Router, useNavigate } from "@solidjs/router";
import { type JSX, Show } from "solid-js";
import { signOut } from "./api.js";
import { AuditRoute } from "./routes/audit.js";
import { ConfirmEmailRoute } from "./routes/confirm-email.js";
import { ForgotPasswordRoute, ResetPasswordRoute } from "./routes/password-reset.js";
import { SecurityRoute } from "./routes/security.js";
import { SignInRoute } from "./routes/sign-in.js";
import { SignUpRoute } from "./routes/sign-up.js";
import { TeamRoute } from "./routes/team.js";
import { VerifyEmailRoute } from "./routes/verify-email.js";
import { me, session, setMe } from "./session.js";

function Shell(props: { children?: JSX.Element }) {
  const navigate = useNavigate();
  return (
    <Layout
      product="Cloud Console"
      homeHref="/"
      nav={
        <Show when={me()}>
          <A href="/" end>
            Home
          </A>
          <A href="/settings/security">Security</A>
          <A href="/team">Team</A>
          <A href="/audit">Audit</A>
        </Show>
      }
      account={
        <AccountMenu
          me={me}
          onSignOut={async () => {
            await signOut().catch(() => undefined);
            setMe(null);
            navigate("/signin");
          }}
        />
      }
    >
      {props.children}
    </Layout>
  );
}

/** Pages behind sign-in: without a session, the sign-in page. */
function Protected(props: { children: JSX.Element }) {
  return (
    <SignedIn session={session} signedOut={<Navigate href="/signin" />}>
      {props.children}
    </SignedIn>
  );
}

/** The member portal's sign-in with this team's account ID filled in. */
function teamSignInPath(accountId: string): string {
  return `/member/?account=${encodeURIComponent(accountId)}`;
}

function Home() {
  return (
    <Protected>
      <Show when={me()}>
        {(user) => (
          <section class="card">
            <h1>Welcome to the Cloud Console</h1>
            <dl class="account-facts">
              <dt>Account ID</dt>
              <dd>
                <code data-testid="account-id">{user().accountId}</code>{" "}
                <CopyButton text={user().accountId} label="Copy the account ID" />
              </dd>
              <dt>Team member sign-in</dt>
              <dd>
                <a data-testid="team-sign-in-link" href={teamSignInPath(user().accountId)}>
                  {window.location.origin}
                  {teamSignInPath(user().accountId)}
                </a>{" "}
                <CopyButton
                  text={`${window.location.origin}${teamSignInPath(user().accountId)}`}
                  label="Copy the team member sign-in link"
                />
                <small class="block">
                  Send this link to your team: it opens their sign-in with the account ID filled in.
                </small>
              </dd>
            </dl>
            <h2>Two-factor authentication</h2>
            <TwoFactorStatus twoFactor={user().twoFactor} />
            <A href="/settings/security">Security settings</A>
          </section>
        )}
      </Show>
    </Protected>
  );
}

export function App() {
  return (
    <Router root={Shell}>
      <Route path="/" component={Home} />
      <Route path="/signin" component={SignInRoute} />
      <Route path="/signup" component={SignUpRoute} />
      <Route path="/verify-email" component={VerifyEmailRoute} />
      <Route path="/confirm-email" component={ConfirmEmailRoute} />
      <Route path="/forgot-password" component={ForgotPasswordRoute} />
      <Route path="/reset-password" component={ResetPasswordRoute} />
      <Route
        path="/settings/security"
        component={() => (
          <Protected>
            <SecurityRoute />
          </Protected>
        )}
      />
      <Route
        path="/team"
        component={() => (
          <Protected>
            <TeamRoute />
          </Protected>
        )}
      />
      <Route
        path="/audit"
        component={() => (
          <Protected>
            <AuditRoute />
          </Protected>
        )}
      />
      <Route
        path="*"
        component={() => (
          <p class="card">
            Page not found. <A href="/">Cloud Console</A>
          </p>
        )}
      />
    </Router>
  );
}
