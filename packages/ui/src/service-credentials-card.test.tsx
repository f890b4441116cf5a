import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.js";
import { ServiceCredentialsCard, type ServiceCredentialsClient } from "./service-credentials-card.js";

afterEach(cleanup);

function client(): ServiceCredentialsClient {
  const listed = [{ id: "svc_1", name: "billing", createdAt: "2026-03-02T09:00:00.000Z", lastUsedAt: null }];
  return {
    list: vi.fn(async () => listed),
    create: vi.fn(async (name: string) => ({ id: "svc_2", name, secret: "c2fsvc_secret" })),
    revoke: vi.fn(async () => {}),
    stepUp: { stepUp: vi.fn(async () => {}), sendActionCode: vi.fn(async () => {}) },
  };
}

describe("§8.1 service credentials on the console", () => {
  it("§8.1 lists credentials without secrets; a new one's secret is shown once", async () => {
    const api = client();
    render(() => <ServiceCredentialsCard client={api} />);
    expect(await screen.findByText("billing")).toBeTruthy();
    expect(screen.getByText("Never")).toBeTruthy();
    await userEvent.type(screen.getByLabelText("Name"), "deployments");
    await userEvent.click(screen.getByRole("button", { name: "Create credential" }));
    expect(await screen.findByText("c2fsvc_secret")).toBeTruthy();
    expect(api.create).toHaveBeenCalledWith("deployments");
  });

  it("§8.1 revoking asks for a code when the API wants a step-up, then revokes", async () => {
    const api = client();
    let calls = 0;
    api.revoke = vi.fn(async () => {
      calls++;
      if (calls === 1) throw new ApiError("STEP_UP_REQUIRED", "Confirm it is you.", 403);
    });
    render(() => <ServiceCredentialsCard client={api} method="totp" />);
    await userEvent.click(await screen.findByRole("button", { name: "Revoke" }));
    expect(await screen.findByText(/Revoke billing/)).toBeTruthy();
    await waitFor(() => expect(api.revoke).toHaveBeenCalledTimes(1));
  });
});
