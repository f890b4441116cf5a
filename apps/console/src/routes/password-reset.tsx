import { ForgotPasswordPage, ResetPasswordPage } from "@cloud2fa/ui";
import { useSearchParams } from "@solidjs/router";
import { passwordResetClient } from "../api.js";

const textOf = (value: string | string[] | undefined) => (typeof value === "string" ? value : "");

/** §6.1 for root users: the address to mail a link to (filled in from the sign-in page). */
export function ForgotPasswordRoute() {
  const [params] = useSearchParams();
  return (
    <ForgotPasswordPage client={passwordResetClient} email={textOf(params.email)} signInHref="/signin" />
  );
}

/** The mailed link: /reset-password?token=… */
export function ResetPasswordRoute() {
  const [params] = useSearchParams();
  return (
    <ResetPasswordPage
      client={passwordResetClient}
      token={textOf(params.token)}
      signInHref="/signin"
      forgotHref="/forgot-password"
    />
  );
}
