import { teamPermissions } from "@cloud2fa/domain";
import {
  AccountMenu,
  AuditPage,
  ChangePasswordCard,
  EnrolmentBanner,
  Layout,
  SessionsCard,
  Protected as SignedIn,
  SsoTwoFactorNotice,
  TeamPage,
  TwoFactorSettings,
  TwoFactorStatus,
  toDomainUser,
} from "@cloud2fa/ui";
import { A, Navigate, Route, Router, useLocation } from "@solidjs/router";
import { createResource, type JSX, Show } from "solid-js";
import {
  auditClient,
  changePasswordClient,
  sessionsClient,
  signOut,
  teamClient,
  teamSettingsClient,
  twoFactorClient,
} from "./api.js";
import { ActivateRoute } from "./routes/activate.js";
import { ChoosePasswordRoute } from "./routes/choose-password.js";
import { ForgotPasswordRoute, ResetPasswordRoute } from "./routes/password-reset.js";
import { SignInRoute } from "./routes/sign-in.js";
import { SsoSignInRoute } from "./routes/sso-sign-in.js";
import { isSettled, me, refreshMe, session } from "./session.js";

function Shell(props: { children?: JSX.Element }) {
  const permissions = () => {
    const user = me();
    return user ? teamPermissions(toDomainUser(user)) : null;
  };
  // Require 2FA for members: past the team's deadline, the setup page is all there is until enrolled.
  const mustEnrol = () => me()?.twoFactorPolicy?.enrolment === "required_now";
  // §6.2: a member still on its administrator's password sees only the change until it has its own.
  const mustChangePassword = () => me()?.passwordChangeRequired === true;
  const location = useLocation();
  return (
    <Layout
      product="Cloud Console · Team member"
      homeHref="/member/"
      nav={
        <Show when={me() && !mustEnrol() && !mustChangePassword()}>
          <A href="/" end>
            Home
          </A>
          <A href="/settings">Settings</A>
          <Show when={permissions()?.view}>
            <A href="/team">Team</A>
          </Show>
          <Show when={permissions()?.readAudit}>
            <A href="/audit">Audit</A>
          </Show>
        </Show>
      }
      account={
        <AccountMenu
          me={me}
          onSignOut={async (user) => {
            await signOut().catch(() => undefined);
            // A fresh page: nothing of the session stays in memory, and the sign-in keeps the team's
            // account ID (a client-side navigation raced the protected pages' redirect to "/").
            window.location.assign(`/member/?account=${encodeURIComponent(user.accountId)}`);
          }}
        />
      }
    >
      <Show
        when={!mustChangePassword()}
        fallback={<ChoosePasswordRoute method={me()?.twoFactor.method ?? null} />}
      >
        <EnrolmentBanner policy={me()?.twoFactorPolicy} setupHref="/member/settings" />
        <Show
          when={!mustEnrol() || location.pathname.endsWith("/settings")}
          fallback={<Navigate href="/settings" />}
        >
          {props.children}
        </Show>
      </Show>
    </Layout>
  );
}

/** Pages behind sign-in: without a session, Home (the sign-in). */
function Protected(props: { children: JSX.Element }) {
  return (
    <SignedIn session={session} signedOut={<Navigate href="/" />}>
      {props.children}
    </SignedIn>
  );
}

function Home() {
  return (
    <Show when={isSettled()} fallback={<p>Loading…</p>}>
      <Show when={me()} fallback={<SignInRoute />}>
        {(user) => (
          <section class="card">
            <h1>Welcome, {user().email}</h1>
            <p>
              Team account ID: <code>{user().accountId}</code>
            </p>
            <h2>Two-factor authentication</h2>
            <TwoFactorStatus twoFactor={user().twoFactor} />
            <A href="/settings">Settings</A>
          </section>
        )}
      </Show>
    </Show>
  );
}

function Settings() {
  // Asked only with a session: a signed-out visit to /settings sends nothing but the session check.
  const [team] = createResource(
    () => me()?.id,
    () => teamSettingsClient.read(),
  );
  return (
    <Protected>
      <h1>Settings</h1>
      <Show when={me()?.sso}>
        <SsoTwoFactorNotice />
      </Show>
      <Show when={me()}>
        {(user) => (
          <TwoFactorSettings
            me={user()}
            client={twoFactorClient}
            consoleHref="/member/"
            consoleName="Cloud Console"
            allowMemberRecoveryCodes={team()?.allowMemberRecoveryCodes ?? false}
            onChanged={() => void refreshMe()}
          />
        )}
      </Show>
      <Show when={me()}>
        {(user) => <ChangePasswordCard method={user().twoFactor.method} client={changePasswordClient} />}
      </Show>
      <Show when={me()}>
        <SessionsCard client={sessionsClient} />
      </Show>
    </Protected>
  );
}

export function App() {
  return (
    <Router root={Shell} base="/member">
      <Route path="/" component={Home} />
      <Route path="/signin" component={SignInRoute} />
      <Route path="/activate" component={ActivateRoute} />
      <Route path="/forgot-password" component={ForgotPasswordRoute} />
      <Route path="/reset-password" component={ResetPasswordRoute} />
      <Route path="/sso/:accountId?" component={SsoSignInRoute} />
      <Route path="/settings" component={Settings} />
      <Route
        path="/team"
        component={() => (
          <Protected>
            <Show when={me()}>{(user) => <TeamPage actor={user()} client={teamClient} />}</Show>
          </Protected>
        )}
      />
      <Route
        path="/audit"
        component={() => (
          <Protected>
            <AuditPage client={auditClient} />
          </Protected>
        )}
      />
      <Route
        path="*"
        component={() => (
          <p class="card">
            Page not found. <A href="/">Home</A>
          </p>
        )}
      />
    </Router>
  );
}
