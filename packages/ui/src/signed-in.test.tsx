import { cleanup, render, screen } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { createSignal } from "solid-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AccountMenu, Protected } from "./signed-in.js";
import type { MeView } from "./user.js";

afterEach(cleanup);

const ana: MeView = {
  kind: "member",
  id: "mem_1",
  email: "ana@example.com",
  accountId: "acc_1",
  roles: ["administrator"],
  status: "active",
  sso: false,
  twoFactor: { enabled: false, method: null, enabledAt: null },
};

describe("Protected", () => {
  it("shows a loading line, then the page for a session, or what is given for none", () => {
    const [settled, setSettled] = createSignal(false);
    const [me, setMe] = createSignal<MeView | null>(null);
    render(() => (
      <Protected session={{ me, isSettled: settled }} signedOut={<p>Sign in first</p>}>
        <p>The page</p>
      </Protected>
    ));
    expect(screen.getByText("Loading…")).toBeTruthy();
    expect(screen.queryByText("The page")).toBeNull();

    setSettled(true);
    expect(screen.getByText("Sign in first")).toBeTruthy();
    expect(screen.queryByText("The page")).toBeNull();

    setMe(ana);
    expect(screen.getByText("The page")).toBeTruthy();
    expect(screen.queryByText("Sign in first")).toBeNull();
  });
});

describe("AccountMenu", () => {
  it("shows the signed-in address and signs that user out", async () => {
    const onSignOut = vi.fn(async (_user: MeView) => {});
    render(() => <AccountMenu me={() => ana} onSignOut={onSignOut} />);
    expect(screen.getByText("ana@example.com")).toBeTruthy();
    await userEvent.setup().click(screen.getByRole("button", { name: "Sign out" }));
    expect(onSignOut).toHaveBeenCalledExactlyOnceWith(ana);
  });

  it("shows nothing without a session", () => {
    render(() => <AccountMenu me={() => null} onSignOut={async () => {}} />);
    expect(screen.queryByRole("button", { name: "Sign out" })).toBeNull();
  });
});
