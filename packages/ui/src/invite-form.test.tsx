import { type MemberRole, memberRoles } from "@cloud2fa/domain";
import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { InviteForm, type InviteInput } from "./invite-form.js";
import { roleNames } from "./user.js";

afterEach(cleanup);

type User = ReturnType<typeof userEvent.setup>;

/** The role boxes as a person sees them: the ticked ones, by name. */
function tickedNames(): string[] {
  return screen
    .getAllByRole("checkbox")
    .filter((box) => (box as HTMLInputElement).checked)
    .map((box) => box.closest("label")?.textContent?.trim() ?? "");
}

/** Ticks exactly `roles`, whatever the boxes showed before. */
async function tickOnly(user: User, roles: MemberRole[]) {
  for (const box of screen.getAllByRole("checkbox") as HTMLInputElement[]) {
    if (box.checked !== roles.includes(box.value as MemberRole)) await user.click(box);
  }
}

/** Fills the form, ticks exactly `roles` and sends it; resolves once the form has started over. */
async function invite(user: User, email: string, roles: MemberRole[]) {
  const emailField = screen.getByLabelText("Email") as HTMLInputElement;
  const passwordField = screen.getByLabelText("Initial password");
  // user-event tracks what it typed; the form's reset is not typing, so each field is cleared first.
  await user.clear(emailField);
  await user.type(emailField, email);
  await user.clear(passwordField);
  await user.type(passwordField, "correct horse battery staple");
  await tickOnly(user, roles);
  expect(tickedNames()).toEqual(
    memberRoles.filter((role) => roles.includes(role)).map((role) => roleNames[role]),
  );
  await user.click(screen.getByRole("button", { name: "Send invitation" }));
  await waitFor(() => expect(emailField.value).toBe(""));
}

describe("Invite form", () => {
  it("The invite form re-sent the previous invitation's roles: an Administrator, then only Project User for the next person, sends only Project User", async () => {
    const user = userEvent.setup();
    const sent: InviteInput[] = [];
    render(() => <InviteForm onInvite={async (input) => void sent.push(input)} />);
    await user.click(screen.getByText("Invite a member"));

    await invite(user, "first@example.com", ["administrator"]);
    await invite(user, "second@example.com", ["project_user"]);

    expect(sent.map(({ email, roles }) => ({ email, roles }))).toEqual([
      { email: "first@example.com", roles: ["administrator"] },
      { email: "second@example.com", roles: ["project_user"] },
    ]);
    // After each invitation the form starts over: empty fields, Project User ticked.
    expect((screen.getByLabelText("Email") as HTMLInputElement).value).toBe("");
    expect(tickedNames()).toEqual(["Project User"]);
  });

  it("The invite form: Send invitation is disabled while no role is ticked, also right after an invitation", async () => {
    const user = userEvent.setup();
    const sent: InviteInput[] = [];
    render(() => <InviteForm onInvite={async (input) => void sent.push(input)} />);
    await user.click(screen.getByText("Invite a member"));
    const send = screen.getByRole("button", { name: "Send invitation" }) as HTMLButtonElement;
    expect(send.disabled).toBe(false);
    await tickOnly(user, []);
    expect(send.disabled).toBe(true);

    await invite(user, "first@example.com", ["auditor", "accountant"]);
    expect(sent.map((input) => input.roles)).toEqual([["accountant", "auditor"]]);
    await tickOnly(user, []);
    expect(tickedNames()).toEqual([]);
    expect(send.disabled).toBe(true);
    await tickOnly(user, ["project_admin"]);
    expect(send.disabled).toBe(false);
  });
});
