import { Match, Switch } from "solid-js";

/** What GET /api/me says the team's 2FA policy asks of the signed-in user. */
export interface TwoFactorPolicyView {
  required: boolean;
  deadline: string | null;
  enrolment: "not_required" | "grace" | "required_now";
  daysLeft: number | null;
}

/** Require 2FA for members: the banner on every page of the member portal while the policy asks for 2FA. */
export function EnrolmentBanner(props: { policy: TwoFactorPolicyView | undefined; setupHref: string }) {
  return (
    <Switch>
      <Match when={props.policy?.enrolment === "required_now"}>
        <p class="banner" role="alert">
          Your team requires two-factor authentication. Set it up to continue.
        </p>
      </Match>
      <Match when={props.policy?.enrolment === "grace" && props.policy}>
        {(policy) => (
          <p class="banner" role="status">
            Your team requires two-factor authentication in {policy().daysLeft}{" "}
            {policy().daysLeft === 1 ? "day" : "days"}. <a href={props.setupHref}>Set it up now.</a>
          </p>
        )}
      </Match>
    </Switch>
  );
}
