import { cleanup, render, screen, within } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { createSignal } from "solid-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type TwoFactorClient, TwoFactorSettings } from "./two-factor-settings.js";
import type { MeView } from "./user.js";

afterEach(cleanup);

const rootWithEmail: MeView = {
  kind: "root",
  id: "usr_1",
  email: "root@example.com",
  accountId: "acc_1",
  roles: [],
  status: "active",
  sso: false,
  twoFactor: { enabled: true, method: "email", enabledAt: "2026-03-01T10:00:00.000Z" },
};

function clientWith(overrides: Partial<TwoFactorClient> = {}): TwoFactorClient {
  return {
    startSetup: vi.fn(async () => ({
      method: "email" as const,
      maskedEmail: "r***@example.com",
      expiresAt: "",
    })),
    confirmSetup: vi.fn(async () => null),
    regenerateRecoveryCodes: vi.fn(async () => ["abcd-efgh"]),
    sendActionCode: vi.fn(async () => {}),
    removeOwn: vi.fn(async () => {}),
    ...overrides,
  };
}

function renderSettings(client: TwoFactorClient, me: MeView = rootWithEmail) {
  const [current, setCurrent] = createSignal(me);
  render(() => (
    <TwoFactorSettings
      me={current()}
      client={client}
      consoleHref="/"
      consoleName="Cloud Console"
      onChanged={() => setCurrent({ ...me, twoFactor: { enabled: false, method: null, enabledAt: null } })}
    />
  ));
}

describe("TwoFactorSettings, enabled", () => {
  it("each action that needs a code has its own field and its own Email me a code", async () => {
    const user = userEvent.setup();
    const client = clientWith();
    renderSettings(client);
    const renew = screen.getByRole("form", { name: "Recovery codes" });
    const remove = screen.getByRole("form", { name: "Remove two-factor authentication" });
    expect(within(renew).getByLabelText("Code for new recovery codes")).toBeTruthy();
    expect(within(remove).getByLabelText("Current code")).toBeTruthy();
    await user.click(within(renew).getByRole("button", { name: "Email me a code" }));
    expect(client.sendActionCode).toHaveBeenCalledTimes(1);
    expect(within(renew).getByRole("status").textContent).toContain("We emailed you a 6-digit code");
    expect(within(remove).queryByRole("status")).toBeNull();
    await user.click(within(remove).getByRole("button", { name: "Email me a code" }));
    expect(client.sendActionCode).toHaveBeenCalledTimes(2);
  });

  it("an empty submit says so at the field and sends nothing", async () => {
    const user = userEvent.setup();
    const client = clientWith();
    renderSettings(client);
    const remove = screen.getByRole("form", { name: "Remove two-factor authentication" });
    await user.click(within(remove).getByRole("button", { name: "Remove two-factor authentication" }));
    expect(within(remove).getByRole("alert").textContent).toBe("Enter the 6-digit code.");
    expect(client.removeOwn).not.toHaveBeenCalled();
    const renew = screen.getByRole("form", { name: "Recovery codes" });
    expect(within(renew).queryByRole("alert")).toBeNull();
  });

  it("removing 2FA ends with a confirmation, not a silent Not enabled", async () => {
    const user = userEvent.setup();
    const client = clientWith();
    renderSettings(client);
    const remove = screen.getByRole("form", { name: "Remove two-factor authentication" });
    await user.type(within(remove).getByLabelText("Current code"), "123456");
    await user.click(within(remove).getByRole("button", { name: "Remove two-factor authentication" }));
    expect(client.removeOwn).toHaveBeenCalledExactlyOnceWith("123456");
    expect((await screen.findByTestId("two-factor-removed")).textContent).toContain(
      "Two-factor authentication is removed.",
    );
    expect(screen.queryByText("Not enabled")).toBeNull();
  });
});
