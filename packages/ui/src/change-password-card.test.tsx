import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ChangePasswordCard, type ChangePasswordClient } from "./change-password-card.js";
import { ApiError } from "./errors.js";

afterEach(cleanup);

function renderCard(changePassword: ChangePasswordClient["changePassword"]) {
  const client = {
    changePassword: vi.fn(changePassword),
    stepUp: { stepUp: vi.fn(async (_code: string) => {}), sendActionCode: vi.fn(async () => {}) },
  };
  render(() => <ChangePasswordCard method="totp" client={client} />);
  return client;
}

async function fillIn(current: string, next: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Current password"), current);
  await user.type(screen.getByLabelText("New password"), next);
  await user.click(screen.getByRole("button", { name: "Change password" }));
  return user;
}

describe("Change password card", () => {
  it("§6.2 sends both passwords and says the other sessions were signed out", async () => {
    const client = renderCard(async () => {});
    await fillIn("the old password", "a brand new password");
    await waitFor(() => expect(screen.getByRole("status").textContent).toMatch(/other browser/));
    expect(client.changePassword).toHaveBeenCalledExactlyOnceWith("the old password", "a brand new password");
  });

  it("§6.2 a wrong current password says so", async () => {
    renderCard(async () => {
      throw new ApiError("INVALID_CREDENTIALS", "x", 400);
    });
    await fillIn("not it at all", "a brand new password");
    await waitFor(() =>
      expect(screen.getByRole("alert").textContent).toBe("The current password is not correct."),
    );
  });

  it("§6.3 a weak new password: the reason beside the field", async () => {
    renderCard(async () => {
      throw new ApiError("WEAK_PASSWORD", "x", 400, null, "newPassword", "same_as_current");
    });
    await fillIn("the old password", "the old password");
    await waitFor(() =>
      expect(screen.getByRole("alert").textContent).toBe(
        "Choose a password different from the one you have now.",
      ),
    );
    expect(screen.getByLabelText("New password").getAttribute("aria-invalid")).toBe("true");
  });

  it("§6.2 STEP_UP_REQUIRED asks for a code, then the change is sent again", async () => {
    let calls = 0;
    const client = renderCard(async () => {
      calls++;
      if (calls === 1) throw new ApiError("STEP_UP_REQUIRED", "x", 403);
    });
    const user = await fillIn("the old password", "a brand new password");
    const code = await screen.findByLabelText("Confirmation code");
    await user.type(code, "123456");
    await waitFor(() => expect(screen.getByRole("status").textContent).toMatch(/password was changed/));
    expect(client.stepUp.stepUp).toHaveBeenCalledExactlyOnceWith("123456");
    expect(client.changePassword).toHaveBeenCalledTimes(2);
    expect(client.changePassword).toHaveBeenLastCalledWith("the old password", "a brand new password");
  });
});
