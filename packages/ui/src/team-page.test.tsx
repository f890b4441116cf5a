import { cleanup, render, screen, waitFor, within } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.js";
import { type MemberView, type TeamClient, TeamPage } from "./team-page.js";
import type { MeView } from "./user.js";

afterEach(cleanup);

const off = { enabled: false, method: null, enabledAt: null };
const admin: MeView = {
  kind: "member",
  id: "mem_admin",
  email: "admin@example.com",
  accountId: "acc_1",
  roles: ["administrator"],
  status: "active",
  sso: false,
  twoFactor: off,
};
const members: MemberView[] = [
  {
    id: "mem_admin",
    email: "admin@example.com",
    roles: ["administrator"],
    status: "active",
    sso: false,
    twoFactor: off,
    remark: "",
  },
  {
    id: "mem_ana",
    email: "ana@example.com",
    roles: ["project_user"],
    status: "active",
    sso: false,
    twoFactor: off,
    remark: "",
  },
];

function client(): TeamClient {
  return {
    list: vi.fn(async () => members),
    invite: vi.fn(async () => {}),
    update: vi.fn(async () => {}),
    remove: vi.fn(async () => {}),
    removeTwoFactor: vi.fn(async () => {}),
    signOutEverywhere: vi.fn(async () => {}),
    stepUp: { stepUp: vi.fn(async () => {}), sendActionCode: vi.fn(async () => {}) },
  };
}

const rowOf = async (email: string) => {
  const cell = await screen.findByText(email);
  const row = cell.closest("tr");
  if (!row) throw new Error(`no row for ${email}`);
  return within(row);
};

describe("Team page", () => {
  it("an administrator's own row offers no Disable, Roles, SSO or Delete, and says why; other rows do", async () => {
    render(() => <TeamPage actor={admin} client={client()} />);
    const own = await rowOf("admin@example.com");
    for (const name of ["Disable", "Roles", "Set SSO", "Delete"]) {
      expect(own.queryByRole("button", { name })).toBeNull();
    }
    expect(own.getByTestId("own-membership").textContent).toBe(
      "This is you: the root user or another administrator changes your membership.",
    );

    const other = await rowOf("ana@example.com");
    for (const name of ["Disable", "Roles", "Set SSO", "Delete"]) {
      expect(other.getByRole("button", { name })).toBeTruthy();
    }
    expect(other.queryByTestId("own-membership")).toBeNull();
  });

  it("a member still invited (pending) offers no Disable or Enable, as the domain's canChangeMemberStatus says; a disabled one offers Enable", async () => {
    const team = client();
    const another = (email: string, status: MemberView["status"]): MemberView => ({
      ...(members[1] as MemberView),
      id: `mem_${email}`,
      email,
      status,
    });
    const invited = another("bo@example.com", "pending");
    const disabled = another("cy@example.com", "disabled");
    team.list = vi.fn(async () => [...members, invited, disabled]);
    render(() => <TeamPage actor={admin} client={team} />);
    const pending = await rowOf("bo@example.com");
    expect(pending.queryByRole("button", { name: "Disable" })).toBeNull();
    expect(pending.queryByRole("button", { name: "Enable" })).toBeNull();
    expect(pending.getByRole("button", { name: "Delete" })).toBeTruthy();
    expect((await rowOf("cy@example.com")).getByRole("button", { name: "Enable" })).toBeTruthy();
  });

  it("Step-up: a refused invitation of an Administrator waits for a code by the form, then is sent again", async () => {
    const user = userEvent.setup();
    const team = client();
    const invite = vi
      .fn<TeamClient["invite"]>()
      .mockRejectedValueOnce(new ApiError("STEP_UP_REQUIRED", "x", 403))
      .mockResolvedValue(undefined);
    team.invite = invite;
    render(() => (
      <TeamPage
        actor={{ ...admin, twoFactor: { enabled: true, method: "totp", enabledAt: null } }}
        client={team}
      />
    ));
    await screen.findByText("ana@example.com");
    await user.click(screen.getByText("Invite a member"));
    await user.type(screen.getByLabelText("Email"), "new.admin@example.com");
    await user.type(screen.getByLabelText("Initial password"), "correct horse battery staple");
    await user.click(screen.getByLabelText("Administrator"));
    await user.click(screen.getByRole("button", { name: "Send invitation" }));

    const action = await screen.findByTestId("step-up-action");
    expect(action.textContent).toBe("Waiting for the code: Invite new.admin@example.com");
    await user.type(screen.getByLabelText("Confirmation code"), "123456");
    await waitFor(() => expect(invite).toHaveBeenCalledTimes(2));
    expect(team.stepUp.stepUp).toHaveBeenCalledExactlyOnceWith("123456");
    expect(invite.mock.calls[1]?.[0]).toMatchObject({
      email: "new.admin@example.com",
      roles: ["administrator", "project_user"],
    });
    await screen.findByText("Invitation sent to new.admin@example.com.");
    expect(screen.queryByTestId("step-up-action")).toBeNull();
  });
});

describe("§6.5 Team page: Sign out everywhere", () => {
  it("§6.5 offered on other active members, not on oneself nor on a pending member; an auditor sees none", async () => {
    const team = client();
    const invited: MemberView = {
      ...(members[1] as MemberView),
      id: "mem_bo",
      email: "bo@example.com",
      status: "pending",
    };
    team.list = vi.fn(async () => [...members, invited]);
    render(() => <TeamPage actor={admin} client={team} />);
    expect(
      (await rowOf("ana@example.com")).getByRole("button", { name: "Sign out everywhere" }),
    ).toBeTruthy();
    expect(
      (await rowOf("admin@example.com")).queryByRole("button", { name: "Sign out everywhere" }),
    ).toBeNull();
    expect((await rowOf("bo@example.com")).queryByRole("button", { name: "Sign out everywhere" })).toBeNull();
    cleanup();
    render(() => <TeamPage actor={{ ...admin, roles: ["auditor"] }} client={client()} />);
    expect(
      (await rowOf("ana@example.com")).queryByRole("button", { name: "Sign out everywhere" }),
    ).toBeNull();
  });

  it("§6.5 asks for confirmation, then for a code when the API wants a step-up, then signs the member out", async () => {
    const user = userEvent.setup();
    const team = client();
    const signOutEverywhere = vi
      .fn<TeamClient["signOutEverywhere"]>()
      .mockRejectedValueOnce(new ApiError("STEP_UP_REQUIRED", "x", 403))
      .mockResolvedValue(undefined);
    team.signOutEverywhere = signOutEverywhere;
    render(() => (
      <TeamPage
        actor={{ ...admin, twoFactor: { enabled: true, method: "totp", enabledAt: null } }}
        client={team}
      />
    ));
    await user.click((await rowOf("ana@example.com")).getByRole("button", { name: "Sign out everywhere" }));
    expect(signOutEverywhere).not.toHaveBeenCalled();
    expect(screen.getByRole("alertdialog").textContent).toContain("Sign ana@example.com out everywhere?");
    await user.click(screen.getByRole("button", { name: "Sign out ana@example.com everywhere" }));
    const action = await screen.findByTestId("step-up-action");
    expect(action.textContent).toBe("Waiting for the code: Sign out ana@example.com everywhere");
    await user.type(screen.getByLabelText("Confirmation code"), "123456");
    await waitFor(() => expect(signOutEverywhere).toHaveBeenCalledTimes(2));
    expect(signOutEverywhere).toHaveBeenLastCalledWith("mem_ana");
    expect(team.stepUp.stepUp).toHaveBeenCalledExactlyOnceWith("123456");
    await screen.findByText("ana@example.com is signed out everywhere.");
  });
});

describe("Team page, disabled actions and layout", () => {
  it("a disabled Set SSO says why in visible text beside it, not in a tooltip", async () => {
    const withTwoFactor: MemberView = {
      ...members[1],
      id: "mem_bo",
      email: "bo@example.com",
      twoFactor: { enabled: true, method: "totp", enabledAt: "2026-03-01T10:00:00.000Z" },
    } as MemberView;
    const team = client();
    team.list = vi.fn(async () => [...members, withTwoFactor]);
    render(() => <TeamPage actor={admin} client={team} />);
    const row = await rowOf("bo@example.com");
    const button = row.getByRole("button", { name: "Set SSO" }) as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(button.getAttribute("title")).toBeNull();
    const reason = row.getAllByTestId("unavailable-reason").map((node) => node.textContent);
    expect(reason).toContain("Set SSO after this member's 2FA is removed: SSO accounts cannot use 2FA.");
    expect(button.getAttribute("aria-describedby")).toBe("sso-mem_bo");
  });

  it("the members table has a caption and names each cell's column for the phone's card layout", async () => {
    render(() => <TeamPage actor={admin} client={client()} />);
    await rowOf("ana@example.com");
    expect(screen.getByRole("table", { name: /Team members/ })).toBeTruthy();
    const cells = [...(screen.getByText("ana@example.com").closest("tr")?.querySelectorAll("td") ?? [])];
    expect(cells.map((cell) => cell.dataset.label)).toEqual([
      "Email",
      "Roles",
      "Status",
      "SSO",
      "2FA",
      "Actions",
    ]);
  });
});
