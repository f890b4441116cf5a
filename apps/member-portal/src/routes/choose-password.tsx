import { ChangePasswordCard } from "@cloud2fa/ui";
import { changePasswordClient } from "../api.js";
import { refreshMe } from "../session.js";

/**
 * §6.2: a member still on the password its administrator chose sees only this until it has one of
 * its own (the API answers PASSWORD_CHANGE_REQUIRED everywhere else). No step-up can be taken while
 * held, so a code that is asked for means signing in again (the sign-in's code counts for 10 minutes).
 */
export function ChoosePasswordRoute(props: { method: "totp" | "email" | null }) {
  return (
    <>
      <h1>Choose a new password</h1>
      <ChangePasswordCard
        id="choose-password"
        title="A password of your own"
        intro={
          <p>
            Your account still has the password your administrator chose for you. Choose a new password of
            your own to continue: from then on only you know it.
          </p>
        }
        currentPasswordLabel="Password from your administrator"
        method={props.method}
        client={changePasswordClient}
        stepUpFallback={
          <p class="error">
            To confirm it is you, sign out, sign in again with your code, and then choose your new password.
          </p>
        }
        onChanged={() => void refreshMe()}
      />
    </>
  );
}
