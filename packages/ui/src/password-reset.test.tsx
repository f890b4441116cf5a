import { weakPasswordReasons } from "@cloud2fa/domain";
import { cleanup, render, screen } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.js";
import {
  ForgotPasswordPage,
  PASSWORD_RESET_SENT,
  type PasswordResetClient,
  ResetPasswordPage,
} from "./password-reset.js";

afterEach(cleanup);

function clientWith(confirm: PasswordResetClient["confirm"] = async () => {}) {
  return { request: vi.fn(async () => {}), confirm: vi.fn(confirm) };
}

describe("§6.1 the forgot-password page", () => {
  it("§6.1 a root user's request sends the address alone and answers with the one sentence for every address", async () => {
    const client = clientWith();
    render(() => <ForgotPasswordPage client={client} email="ada@example.com" signInHref="/signin" />);
    expect(screen.queryByLabelText("Account ID")).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Email me a reset link" }));
    expect(client.request).toHaveBeenCalledWith({ email: "ada@example.com" });
    expect((await screen.findByRole("status")).textContent).toBe(PASSWORD_RESET_SENT);
    expect(PASSWORD_RESET_SENT).toBe(
      "If an account with that address exists, we have emailed a link to reset the password. It works for 30 minutes.",
    );
  });

  it("§6.1 a member's request carries the account ID filled in from the sign-in page", async () => {
    const client = clientWith();
    render(() => <ForgotPasswordPage client={client} accountId="acc_team" signInHref="/member/" />);
    expect((screen.getByLabelText("Account ID") as HTMLInputElement).value).toBe("acc_team");
    await userEvent.type(screen.getByLabelText("Email"), "m@example.com");
    await userEvent.click(screen.getByRole("button", { name: "Email me a reset link" }));
    expect(client.request).toHaveBeenCalledWith({ accountId: "acc_team", email: "m@example.com" });
  });
});

describe("§6.1 the reset page", () => {
  it("§6.1 a weak password is explained beside the field; then the new one is set and the page leads to sign-in", async () => {
    let calls = 0;
    const client = clientWith(async () => {
      calls++;
      if (calls === 1) throw new ApiError("WEAK_PASSWORD", "x", 400, null, "password", "common");
    });
    render(() => (
      <ResetPasswordPage client={client} token="tok" signInHref="/signin" forgotHref="/forgot-password" />
    ));
    await userEvent.type(screen.getByLabelText("New password"), "password1234");
    await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
    expect((await screen.findByRole("alert")).textContent).toBe(weakPasswordReasons.common);
    await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
    expect((await screen.findByRole("status")).textContent).toMatch(
      /every session of your account was signed out/,
    );
    expect(screen.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/signin");
    expect(client.confirm).toHaveBeenLastCalledWith("tok", "password1234");
  });

  it("§6.1 a used, expired or superseded link says so and offers a new one", async () => {
    const client = clientWith(async () => {
      throw new ApiError("INVALID_TOKEN", "x", 400);
    });
    render(() => (
      <ResetPasswordPage client={client} token="tok" signInHref="/signin" forgotHref="/forgot-password" />
    ));
    await userEvent.type(screen.getByLabelText("New password"), "a long enough passphrase");
    await userEvent.click(screen.getByRole("button", { name: "Set new password" }));
    await screen.findByText(/This link is not valid any more/);
    expect(screen.getByRole("link", { name: "Ask for a new link" }).getAttribute("href")).toBe(
      "/forgot-password",
    );
  });
});
