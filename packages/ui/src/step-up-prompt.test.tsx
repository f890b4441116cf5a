import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.js";
import { isStepUpRequired, StepUpPrompt } from "./step-up-prompt.js";

afterEach(cleanup);

function renderPrompt(method: "totp" | "email", stepUp = vi.fn(async (_code: string) => {})) {
  const client = { stepUp, sendActionCode: vi.fn(async () => {}) };
  const onConfirmed = vi.fn();
  const onCancel = vi.fn();
  render(() => (
    <StepUpPrompt
      id="s"
      method={method}
      action="Delete ana@example.com"
      client={client}
      onConfirmed={onConfirmed}
      onCancel={onCancel}
    />
  ));
  return {
    client,
    onConfirmed,
    onCancel,
    input: screen.getByLabelText<HTMLInputElement>("Confirmation code"),
  };
}

describe("Step-up prompt", () => {
  it("Step-up: recognises the API's STEP_UP_REQUIRED refusal only", () => {
    expect(isStepUpRequired(new ApiError("STEP_UP_REQUIRED", "x", 403))).toBe(true);
    expect(isStepUpRequired(new ApiError("FORBIDDEN", "x", 403))).toBe(false);
    expect(isStepUpRequired(new Error("STEP_UP_REQUIRED"))).toBe(false);
  });

  it("Step-up: focus moves to the code field; six digits step up, then the action is retried", async () => {
    const user = userEvent.setup();
    const { client, onConfirmed, input } = renderPrompt("totp");
    expect(document.activeElement).toBe(input);
    expect(screen.queryByRole("button", { name: "Email me a code" })).toBeNull();
    await user.type(input, "123456");
    await waitFor(() => expect(onConfirmed).toHaveBeenCalledTimes(1));
    expect(client.stepUp).toHaveBeenCalledExactlyOnceWith("123456");
  });

  it("Step-up: names the action waiting for the code", () => {
    renderPrompt("totp");
    expect(screen.getByTestId("step-up-action").textContent).toBe(
      "Waiting for the code: Delete ana@example.com",
    );
  });

  it("Step-up: a wrong code shows the error and does not retry the action", async () => {
    const user = userEvent.setup();
    const refuse = vi.fn(async (_code: string) => {
      throw new ApiError("INVALID_CODE", "x", 400);
    });
    const { onConfirmed, input } = renderPrompt("totp", refuse);
    await user.type(input, "111111");
    expect(await screen.findByRole("alert")).toHaveProperty(
      "textContent",
      expect.stringMatching(/not valid/),
    );
    expect(onConfirmed).not.toHaveBeenCalled();
    expect(document.activeElement).toBe(input);
  });

  it("Step-up: the email method offers to mail a code; Cancel gives up", async () => {
    const user = userEvent.setup();
    const { client, onCancel } = renderPrompt("email");
    await user.click(screen.getByRole("button", { name: "Email me a code" }));
    expect(client.sendActionCode).toHaveBeenCalledTimes(1);
    expect(await screen.findByRole("status")).toHaveProperty("textContent", expect.stringMatching(/emailed/));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(onCancel).toHaveBeenCalledTimes(1);
  });
});
