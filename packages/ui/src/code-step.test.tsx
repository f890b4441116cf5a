import { cleanup, render, screen } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CodeStep } from "./code-step.js";
import { ApiError } from "./errors.js";

afterEach(cleanup);

function renderEmailStep(resend: () => Promise<void>, resendCooldownInSeconds = 2) {
  const verify = vi.fn(async () => {});
  const onRestart = vi.fn();
  render(() => (
    <CodeStep
      method="email"
      verify={verify}
      resend={resend}
      resendCooldownInSeconds={resendCooldownInSeconds}
      onRestart={onRestart}
    />
  ));
  return { verify, onRestart };
}

describe("CodeStep, emailed code", () => {
  it("counts the resend cooldown down, re-enables the button, and starts again after a resend", async () => {
    const user = userEvent.setup();
    const resend = vi.fn(async () => {});
    renderEmailStep(resend);
    const button = screen.getByRole("button", { name: /Resend code/ });
    expect(button.textContent).toBe("Resend code in 0:02");
    expect((button as HTMLButtonElement).disabled).toBe(true);
    await vi.waitFor(() => expect(button.textContent).toBe("Resend code in 0:01"), { timeout: 1500 });
    await vi.waitFor(() => expect(button.textContent).toBe("Resend code"), { timeout: 1500 });
    expect((button as HTMLButtonElement).disabled).toBe(false);

    await user.click(button);
    expect(resend).toHaveBeenCalledTimes(1);
    expect((await screen.findByRole("status")).textContent).toBe(
      "A new code is on its way. The previous code no longer works.",
    );
    expect(button.textContent).toBe("Resend code in 0:02");
    expect((button as HTMLButtonElement).disabled).toBe(true);
  });

  it("starts at the server's one-minute cooldown by default", () => {
    render(() => (
      <CodeStep method="email" verify={async () => {}} resend={async () => {}} onRestart={() => {}} />
    ));
    expect(screen.getByRole("button", { name: /Resend code/ }).textContent).toBe("Resend code in 1:00");
  });

  it("takes the cooldown from Retry-After when the server refuses a resend", async () => {
    const user = userEvent.setup();
    renderEmailStep(async () => {
      throw new ApiError("TOO_MANY_ATTEMPTS", "slow down", 429, 75);
    }, 0);
    const button = screen.getByRole("button", { name: "Resend code" });
    await user.click(button);
    expect((await screen.findByRole("alert")).textContent).toContain("Try again in 75 seconds.");
    expect(button.textContent).toBe("Resend code in 1:15");
  });
});

describe("CodeStep, authenticator code", () => {
  it("verifies a pasted code once, without a resend button", async () => {
    const user = userEvent.setup();
    const verify = vi.fn(async () => {});
    render(() => <CodeStep method="totp" verify={verify} onRestart={() => {}} />);
    expect(screen.queryByRole("button", { name: /Resend/ })).toBeNull();
    await user.click(screen.getByLabelText("Verification code"));
    await user.paste("123 456");
    expect(verify).toHaveBeenCalledExactlyOnceWith("123456");
  });

  it("shows a wrong code as a sentence and keeps the step", async () => {
    const user = userEvent.setup();
    const onRestart = vi.fn();
    const verify = vi.fn(async () => {
      throw new ApiError("INVALID_CODE", "Invalid code", 400);
    });
    render(() => <CodeStep method="totp" verify={verify} onRestart={onRestart} />);
    await user.type(screen.getByLabelText("Verification code"), "000000");
    expect((await screen.findByRole("alert")).textContent).toMatch(/code/i);
    expect(onRestart).not.toHaveBeenCalled();
  });

  it("goes back to the password when the challenge is dead", async () => {
    const user = userEvent.setup();
    const expired = new ApiError("CHALLENGE_EXPIRED", "expired", 410);
    const onRestart = vi.fn();
    render(() => (
      <CodeStep
        method="totp"
        verify={async () => {
          throw expired;
        }}
        onRestart={onRestart}
      />
    ));
    await user.type(screen.getByLabelText("Verification code"), "000000");
    await vi.waitFor(() => expect(onRestart).toHaveBeenCalledWith(expired));
  });

  it("submits a typed code with Enter", async () => {
    const user = userEvent.setup();
    const verify = vi.fn(async () => {});
    render(() => <CodeStep method="totp" verify={verify} onRestart={() => {}} />);
    await user.type(screen.getByLabelText("Verification code"), "12345{Enter}");
    expect(verify).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Verification code"), "6");
    expect(verify).toHaveBeenCalledExactlyOnceWith("123456");
  });

  it("an empty or short code is not sent: the field says what is missing", async () => {
    const user = userEvent.setup();
    const verify = vi.fn(async () => {});
    render(() => <CodeStep method="totp" verify={verify} onRestart={() => {}} />);
    await user.click(screen.getByRole("button", { name: "Verify" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Enter the 6-digit code.");
    await user.type(screen.getByLabelText("Verification code"), "123{Enter}");
    expect(screen.getByRole("alert").textContent).toBe("Enter all 6 digits of the code.");
    expect(screen.getByLabelText("Verification code").getAttribute("aria-invalid")).toBe("true");
    expect(verify).not.toHaveBeenCalled();
  });

  it("a wrong code is cleared, the field focused, and the attempts left for this sign-in shown", async () => {
    const user = userEvent.setup();
    render(() => (
      <CodeStep
        method="totp"
        verify={async () => {
          throw new ApiError("INVALID_CODE", "Invalid code", 400);
        }}
        onRestart={() => {}}
      />
    ));
    const field = screen.getByLabelText<HTMLInputElement>("Verification code");
    await user.type(field, "000000");
    expect((await screen.findByTestId("attempts-left")).textContent).toBe(
      "4 attempts left for this sign-in.",
    );
    await vi.waitFor(() => expect(document.activeElement).toBe(field));
    expect(field.value).toBe("");
    await user.type(field, "000000");
    await vi.waitFor(() =>
      expect(screen.getByTestId("attempts-left").textContent).toBe("3 attempts left for this sign-in."),
    );
  });

  it("the wrong-code message names the method in use, and after a setup says to wait for the next code", async () => {
    const user = userEvent.setup();
    const wrong = async () => {
      throw new ApiError("INVALID_CODE", "Invalid code", 400);
    };
    render(() => <CodeStep method="totp" verify={wrong} onRestart={() => {}} />);
    expect(screen.getByTestId("code-step-method").textContent).toContain("authenticator app");
    await user.type(screen.getByLabelText("Verification code"), "000000");
    const alert = (await screen.findByRole("alert")).textContent ?? "";
    expect(alert).toContain("authenticator app");
    expect(alert).toContain("wait for the next code");
    cleanup();
    render(() => <CodeStep method="email" verify={wrong} onRestart={() => {}} />);
    await user.type(screen.getByLabelText("Verification code"), "000000");
    expect((await screen.findByRole("alert")).textContent).toContain("latest email");
  });

  it("Back to sign-in leaves the code step", async () => {
    const user = userEvent.setup();
    const onBack = vi.fn();
    render(() => <CodeStep method="totp" verify={async () => {}} onRestart={() => {}} onBack={onBack} />);
    await user.click(screen.getByRole("button", { name: "← Back to sign-in" }));
    expect(onBack).toHaveBeenCalledTimes(1);
  });
});

describe("CodeStep, hard cap", () => {
  const lockedHint = "Locked after 100 wrong codes in a row. Use a recovery code.";
  const locked = async () => {
    throw new ApiError("TWO_FACTOR_LOCKED", "locked", 403);
  };

  it("hard cap: TWO_FACTOR_LOCKED shows the audience's sentence instead of the generic one", async () => {
    const user = userEvent.setup();
    render(() => <CodeStep method="totp" verify={locked} lockedHint={lockedHint} onRestart={() => {}} />);
    await user.type(screen.getByLabelText("Verification code"), "123456");
    expect((await screen.findByRole("alert")).textContent).toBe(lockedHint);
  });

  it("hard cap: locked at the password step, the email step says so at once, mails nothing and offers no resend", () => {
    const resend = vi.fn(async () => {});
    render(() => (
      <CodeStep
        method="email"
        isLocked
        verify={locked}
        resend={resend}
        recover={async () => {}}
        lockedHint={lockedHint}
        onRestart={() => {}}
      />
    ));
    expect(screen.getByRole("alert").textContent).toBe(lockedHint);
    expect(screen.getByText("No code was sent: two-factor authentication is locked.")).toBeTruthy();
    expect(screen.queryByText(/We emailed/)).toBeNull();
    expect(screen.queryByRole("button", { name: /Resend code/ })).toBeNull();
    expect(screen.getByRole("button", { name: "Use a recovery code" })).toBeTruthy();
    expect(resend).not.toHaveBeenCalled();
  });

  it("hard cap: without a hint, the catalog's sentence", async () => {
    const user = userEvent.setup();
    render(() => <CodeStep method="totp" verify={locked} onRestart={() => {}} />);
    await user.type(screen.getByLabelText("Verification code"), "123456");
    expect((await screen.findByRole("alert")).textContent).toContain("locked after too many failed codes");
  });
});
