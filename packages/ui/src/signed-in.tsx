import { type JSX, Show } from "solid-js";
import type { Session } from "./session.js";
import type { MeView } from "./user.js";

// What the console and the member portal share around their pages: who is signed in, and the way out.

/** Pages behind sign-in: a line while the session loads; without a session, `signedOut` (a redirect). */
export function Protected(props: {
  session: Pick<Session, "me" | "isSettled">;
  signedOut: JSX.Element;
  children: JSX.Element;
}) {
  return (
    <Show when={props.session.isSettled()} fallback={<p>Loading…</p>}>
      <Show when={props.session.me()} fallback={props.signedOut}>
        {props.children}
      </Show>
    </Show>
  );
}

/**
 * The header's account part: the signed-in address and "Sign out". `onSignOut` gets the user who
 * signs out; the apps differ only in where they go afterwards.
 */
export function AccountMenu(props: {
  me: () => MeView | null | undefined;
  onSignOut: (user: MeView) => Promise<void>;
}) {
  return (
    <Show when={props.me()}>
      {(user) => (
        <>
          <span>{user().email}</span>
          <button type="button" class="secondary" onClick={() => void props.onSignOut(user())}>
            Sign out
          </button>
        </>
      )}
    </Show>
  );
}
