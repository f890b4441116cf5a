import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./errors.js";
import { createSession } from "./session.js";
import type { MeView } from "./user.js";

afterEach(() => {
  vi.restoreAllMocks();
});

const member: MeView = {
  kind: "member",
  id: "mem_1",
  email: "member@example.com",
  accountId: "acc_1",
  roles: ["project_user"],
  status: "active",
  sso: false,
  twoFactor: { enabled: false, method: null, enabledAt: null },
};

describe("createSession", () => {
  it("loads the user outside any component, in a root of its own (no warning from Solid)", async () => {
    const warn = vi.spyOn(console, "warn");
    const session = createSession(async () => member);
    await vi.waitFor(() => expect(session.isSettled()).toBe(true));
    expect(session.me()).toEqual(member);
    expect(warn).not.toHaveBeenCalled();
  });

  it("is null without a session, and follows sign-out and refetch", async () => {
    let isSignedIn = false;
    const session = createSession(async () => {
      if (!isSignedIn) throw new ApiError("UNAUTHENTICATED", "no session", 401);
      return member;
    });
    await vi.waitFor(() => expect(session.isSettled()).toBe(true));
    expect(session.me()).toBeNull();
    isSignedIn = true;
    await session.refreshMe();
    expect(session.me()).toEqual(member);
    session.setMe(null);
    expect(session.me()).toBeNull();
  });
});

describe("createSession with a loader that answers null without a session", () => {
  it("a signed-out page load settles on null without an error (GET /api/session, no 401)", async () => {
    const session = createSession(async () => null);
    await vi.waitFor(() => expect(session.isSettled()).toBe(true));
    expect(session.me()).toBeNull();
  });
});
