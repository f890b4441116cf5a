import { cleanup, render, screen } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CodeInput } from "./code-input.js";

afterEach(cleanup);

function renderCodeInput() {
  const onComplete = vi.fn();
  const onValue = vi.fn();
  render(() => (
    <form>
      <CodeInput id="code" label="Verification code" onValue={onValue} onComplete={onComplete} />
      <button type="submit">Verify</button>
    </form>
  ));
  return { onComplete, onValue, input: screen.getByLabelText<HTMLInputElement>("Verification code") };
}

describe("CodeInput", () => {
  it('fills from a paste of "123 456" and submits once', async () => {
    const user = userEvent.setup();
    const { onComplete, input } = renderCodeInput();
    await user.click(input);
    await user.paste("123 456");
    expect(input.value).toBe("123456");
    expect(onComplete).toHaveBeenCalledTimes(1);
    expect(onComplete).toHaveBeenCalledWith("123456");
  });

  it("ignores non-digits while typing and submits when the sixth digit arrives", async () => {
    const user = userEvent.setup();
    const { onComplete, onValue, input } = renderCodeInput();
    await user.type(input, "12a-3b4 5");
    expect(input.value).toBe("12345");
    expect(onComplete).not.toHaveBeenCalled();
    await user.type(input, "6");
    expect(input.value).toBe("123456");
    expect(onValue).toHaveBeenLastCalledWith("123456");
    expect(onComplete).toHaveBeenCalledExactlyOnceWith("123456");
  });

  it("does not submit again for keystrokes past six digits", async () => {
    const user = userEvent.setup();
    const { onComplete, input } = renderCodeInput();
    await user.type(input, "1234567");
    expect(input.value).toBe("123456");
    expect(onComplete).toHaveBeenCalledTimes(1);
  });

  it("submits again after a digit is corrected with the keyboard", async () => {
    const user = userEvent.setup();
    const { onComplete, input } = renderCodeInput();
    await user.type(input, "123456");
    await user.keyboard("{Backspace}");
    expect(input.value).toBe("12345");
    await user.keyboard("7");
    expect(onComplete.mock.calls).toEqual([["123456"], ["123457"]]);
  });

  it("is reached with Tab, labelled, hinted and numeric", async () => {
    const user = userEvent.setup();
    const { input } = renderCodeInput();
    await user.tab();
    expect(document.activeElement).toBe(input);
    expect(input.getAttribute("inputmode")).toBe("numeric");
    expect(input.getAttribute("autocomplete")).toBe("one-time-code");
    expect(screen.getByText("6 digits").id).toBe(input.getAttribute("aria-describedby"));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Verify" }));
  });
});
