import { ForgotPasswordPage, ResetPasswordPage } from "@cloud2fa/ui";
import { useSearchParams } from "@solidjs/router";
import { passwordResetClient } from "../api.js";

const textOf = (value: string | string[] | undefined) => (typeof value === "string" ? value : "");
const signInHref = (accountId: string) =>
  accountId ? `/member/?account=${encodeURIComponent(accountId)}` : "/member/";

/** §6.1 for members: the team's account ID and the address, filled in from the sign-in page. */
export function ForgotPasswordRoute() {
  const [params] = useSearchParams();
  const accountId = textOf(params.account);
  return (
    <ForgotPasswordPage
      client={passwordResetClient}
      accountId={accountId}
      email={textOf(params.email)}
      signInHref={signInHref(accountId)}
    />
  );
}

/** The mailed link: /member/reset-password?token=… */
export function ResetPasswordRoute() {
  const [params] = useSearchParams();
  return (
    <ResetPasswordPage
      client={passwordResetClient}
      token={textOf(params.token)}
      signInHref="/member/"
      forgotHref="/member/forgot-password"
    />
  );
}
