import { createResource, createRoot } from "solid-js";
import { ApiError } from "./errors.js";
import type { MeView } from "./user.js";

export interface Session {
  me: () => MeView | null | undefined;
  refreshMe: () => Promise<MeView | null | undefined> | MeView | null | undefined;
  setMe: (me: MeView | null) => void;
  /** Loaded once; a refetch after a change keeps the page (and its state) on screen. */
  isSettled: () => boolean;
}

/**
 * The signed-in user, or null, asked of the API (the cookie is HttpOnly, nothing is kept in storage):
 * `loadMe` answers null without a session (GET /api/session, no 401 on a signed-out page load).
 * It lives as long as the app, so it gets its own reactive root rather than none.
 */
export function createSession(loadMe: () => Promise<MeView | null>): Session {
  return createRoot(() => {
    const [me, { refetch, mutate }] = createResource<MeView | null>(async () => {
      try {
        return await loadMe();
      } catch (error) {
        if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return null;
        throw error;
      }
    });
    return {
      me: () => me(),
      refreshMe: () => refetch(),
      setMe: (user) => {
        mutate(user);
      },
      isSettled: () => me.state !== "pending" && me.state !== "unresolved",
    };
  });
}
