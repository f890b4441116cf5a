import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuditEventView, describeAuditEvent } from "./audit-words.js";
import { EmailChangeCard } from "./email-change-card.js";
import { ApiError } from "./errors.js";
import type { MeView } from "./user.js";

afterEach(cleanup);

const root: MeView = {
  kind: "root",
  id: "usr_a",
  email: "ada@example.com",
  accountId: "acc_a",
  roles: [],
  status: "active",
  sso: false,
  twoFactor: { enabled: true, method: "totp", enabledAt: "2026-03-02T09:00:00.000Z" },
};

function renderCard(requestChange: (newEmail: string, password: string) => Promise<void>) {
  const client = {
    requestChange: vi.fn(requestChange),
    stepUp: { stepUp: vi.fn(async (_code: string) => {}), sendActionCode: vi.fn(async () => {}) },
  };
  render(() => <EmailChangeCard me={root} client={client} />);
  return client;
}

async function fillAndSend(newEmail: string, password = "correct horse battery staple") {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("New email address"), newEmail);
  await user.type(screen.getByLabelText("Current password"), password);
  await user.click(screen.getByRole("button", { name: "Send a confirmation link" }));
  return user;
}

describe("§6.4 Email address card", () => {
  it("§6.4 shows the current address; a request says where the link went and that nothing changes before it is opened", async () => {
    const client = renderCard(async () => {});
    expect(screen.getByTestId("current-email").textContent).toBe("ada@example.com");
    await fillAndSend("ada@new.example");
    expect(client.requestChange).toHaveBeenCalledExactlyOnceWith(
      "ada@new.example",
      "correct horse battery staple",
    );
    const sent = await screen.findByTestId("email-change-sent");
    expect(sent.textContent).toMatch(
      /We sent a link to ada@new\.example\. Your sign-in address changes when you open it/,
    );
    expect(screen.getByLabelText<HTMLInputElement>("Current password").value).toBe("");
  });

  it("§6.4 STEP_UP_REQUIRED opens the step-up prompt; after the code the request is sent again", async () => {
    let calls = 0;
    const client = renderCard(async () => {
      calls += 1;
      if (calls === 1) throw new ApiError("STEP_UP_REQUIRED", "x", 403);
    });
    const user = await fillAndSend("ada@new.example");
    const code = await screen.findByLabelText("Confirmation code");
    expect(screen.getByTestId("step-up-action").textContent).toContain(
      "Change your sign-in address to ada@new.example",
    );
    await user.type(code, "123456");
    await waitFor(() => expect(client.requestChange).toHaveBeenCalledTimes(2));
    expect(client.stepUp.stepUp).toHaveBeenCalledExactlyOnceWith("123456");
    expect((await screen.findByTestId("email-change-sent")).textContent).toContain("ada@new.example");
  });

  it("§6.4 a wrong password is said in this form's words; the current address is refused before asking", async () => {
    const client = renderCard(async () => {
      throw new ApiError("INVALID_CREDENTIALS", "x", 400);
    });
    await fillAndSend("ada@new.example", "wrong password here");
    expect((await screen.findByRole("alert")).textContent).toBe("That is not your current password.");
    const input = screen.getByLabelText<HTMLInputElement>("New email address");
    const user = userEvent.setup();
    await user.clear(input);
    await user.type(input, "ADA@example.com");
    expect(screen.getByText("This is already your sign-in address.")).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>("button", { name: "Send a confirmation link" }).disabled).toBe(
      true,
    );
    expect(client.requestChange).toHaveBeenCalledTimes(1);
  });
});

describe("§6.4 email change events in words", () => {
  const event: AuditEventView = {
    id: "aud_1",
    type: "account.email_changed",
    actor: { email: "ada@new.example" },
    subject: { email: "ada@new.example" },
    at: "2026-03-02T10:00:00.000Z",
    clientAddress: "127.0.0.1",
    userAgent: null,
    detail: { from: "ada@example.com", to: "ada@new.example" },
  };
  it("§6.4 the request and the change name the addresses", () => {
    expect(describeAuditEvent(event)).toBe("Email address changed from ada@example.com to ada@new.example");
    expect(
      describeAuditEvent({
        ...event,
        type: "account.email_change_requested",
        detail: { to: "ada@new.example" },
      }),
    ).toBe("Email change to ada@new.example requested");
  });
});
