import { cleanup, render, screen } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RecoveryCodesPanel } from "./recovery-codes-panel.js";

afterEach(cleanup);

const codes = ["abcd-efgh", "jkmn-pqrs"];

describe("RecoveryCodesPanel", () => {
  it("offers Copy and Print beside Download", async () => {
    const user = userEvent.setup();
    const print = vi.fn();
    Object.defineProperty(window, "print", { value: print, configurable: true });
    render(() => <RecoveryCodesPanel codes={codes} onSaved={() => {}} />);
    const buttons = screen.getAllByRole("button").map((button) => button.textContent);
    expect(buttons).toEqual(["Download", "Print", "Copy", "I have saved them"]);
    await user.click(screen.getByRole("button", { name: "Print" }));
    expect(print).toHaveBeenCalledTimes(1);
  });

  it("leaving the page by a link is held back until I have saved them", async () => {
    const user = userEvent.setup();
    const onSaved = vi.fn();
    render(() => (
      <>
        <a href="/elsewhere">Team</a>
        <RecoveryCodesPanel codes={codes} onSaved={onSaved} />
      </>
    ));
    let wasPrevented = false;
    document.addEventListener("click", (event) => {
      wasPrevented = event.defaultPrevented;
    });
    await user.click(screen.getByRole("link", { name: "Team" }));
    expect(wasPrevented).toBe(true);
    expect(screen.getByRole("alert").textContent).toContain("Save your recovery codes first");
    expect(document.activeElement?.textContent).toBe("I have saved them");
    await user.click(screen.getByRole("button", { name: "I have saved them" }));
    expect(onSaved).toHaveBeenCalledTimes(1);
  });

  it("a reload or closing the tab asks first while the codes are shown", () => {
    render(() => <RecoveryCodesPanel codes={codes} onSaved={() => {}} />);
    const event = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    cleanup();
    const after = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(after);
    expect(after.defaultPrevented).toBe(false);
  });
});
