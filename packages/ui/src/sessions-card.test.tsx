import { cleanup, render, screen, waitFor, within } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.js";
import { deviceName, SessionsCard, type SessionsClient, type SessionView } from "./sessions-card.js";
import { formatDate } from "./user.js";

afterEach(cleanup);

const here: SessionView = {
  id: "ses_here",
  current: true,
  createdAt: "2026-03-02T09:03:00.000Z",
  lastSeenAt: "2026-03-02T10:00:00.000Z",
  clientAddress: "198.51.100.9",
  browser: "Firefox",
  os: "Windows",
};
const laptop: SessionView = {
  id: "ses_laptop",
  current: false,
  createdAt: "2026-03-02T09:01:00.000Z",
  lastSeenAt: "2026-03-02T09:30:00.000Z",
  clientAddress: "203.0.113.7",
  browser: "Chrome",
  os: "Linux",
};
const unknown: SessionView = {
  ...laptop,
  id: "ses_unknown",
  clientAddress: null,
  browser: null,
  os: null,
};

function client(sessions: SessionView[]): SessionsClient {
  let live = [...sessions];
  return {
    list: vi.fn(async () => live),
    end: vi.fn(async (id: string) => {
      live = live.filter((session) => session.id !== id);
    }),
    endOthers: vi.fn(async () => {
      live = live.filter((session) => session.current);
    }),
  };
}

const itemOf = async (id: string) => {
  await screen.findAllByRole("listitem");
  const item = document.querySelector(`[data-session="${id}"]`);
  if (!(item instanceof HTMLElement)) throw new Error(`no session ${id}`);
  return within(item);
};

describe("§6.5 Where you're signed in", () => {
  it.each<[Pick<SessionView, "browser" | "os">, string]>([
    [{ browser: "Chrome", os: "Linux" }, "Chrome on Linux"],
    [{ browser: "Firefox", os: null }, "Firefox"],
    [{ browser: null, os: "iOS" }, "iOS"],
    [{ browser: null, os: null }, "Unknown device"],
  ])("§6.5 deviceName(%o) is %s", (session, expected) => {
    expect(deviceName(session)).toBe(expected);
  });

  it("§6.5 lists each session with browser and OS, address, signed in and last active; this one marked and not offered", async () => {
    render(() => <SessionsCard client={client([here, laptop, unknown])} />);
    expect(screen.getByRole("heading", { name: "Where you're signed in" })).toBeTruthy();
    const current = await itemOf("ses_here");
    expect(current.getByText("Firefox on Windows")).toBeTruthy();
    expect(current.getByText("This device")).toBeTruthy();
    expect(current.getByText("198.51.100.9")).toBeTruthy();
    expect(current.getByText(formatDate(here.createdAt))).toBeTruthy();
    expect(current.getByText(formatDate(here.lastSeenAt))).toBeTruthy();
    expect(current.queryByRole("button")).toBeNull();

    const other = await itemOf("ses_laptop");
    expect(other.getByText("Chrome on Linux")).toBeTruthy();
    expect(other.queryByText("This device")).toBeNull();
    expect(other.getByRole("button", { name: /^Sign out Chrome on Linux/ }).textContent).toBe("Sign out");

    const stranger = await itemOf("ses_unknown");
    expect(stranger.getByText("Unknown device")).toBeTruthy();
    expect(stranger.getByText("Unknown")).toBeTruthy();
  });

  it("§6.5 Sign out ends that session and the list no longer shows it", async () => {
    const user = userEvent.setup();
    const sessions = client([here, laptop]);
    render(() => <SessionsCard client={sessions} />);
    await user.click((await itemOf("ses_laptop")).getByRole("button", { name: /^Sign out/ }));
    expect(sessions.end).toHaveBeenCalledExactlyOnceWith("ses_laptop");
    await screen.findByText("Signed out of Chrome on Linux.");
    await waitFor(() => expect(document.querySelector('[data-session="ses_laptop"]')).toBeNull());
    expect(screen.queryByRole("button", { name: "Sign out all other sessions" })).toBeNull();
  });

  it("§6.5 Sign out all other sessions keeps only this one; with no other session it is not offered", async () => {
    const user = userEvent.setup();
    const sessions = client([here, laptop, unknown]);
    render(() => <SessionsCard client={sessions} />);
    await user.click(await screen.findByRole("button", { name: "Sign out all other sessions" }));
    expect(sessions.endOthers).toHaveBeenCalledOnce();
    await screen.findByText("Signed out of every other session.");
    await waitFor(() => expect(screen.getAllByRole("listitem")).toHaveLength(1));
    expect(screen.queryByRole("button", { name: "Sign out all other sessions" })).toBeNull();
  });

  it("§6.5 a refused sign-out says why", async () => {
    const user = userEvent.setup();
    const sessions = client([here, laptop]);
    sessions.end = vi.fn(async () => {
      throw new ApiError("NOT_FOUND", "Not found.", 404);
    });
    render(() => <SessionsCard client={sessions} />);
    await user.click((await itemOf("ses_laptop")).getByRole("button", { name: /^Sign out/ }));
    expect((await screen.findByRole("alert")).textContent).not.toBe("");
  });
});
