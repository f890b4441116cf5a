import { ApiError, type MeView } from "@cloud2fa/ui";
import { createResource } from "solid-js";
import { loadMe } from "./api.js";

/** The signed-in user, or null: asked of the API (the cookie is HttpOnly, nothing is kept in storage). */
const [me, { refetch: refreshMe, mutate }] = createResource<MeView | null>(async () => {
  try {
    return await loadMe();
  } catch (error) {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") return null;
    throw error;
  }
});

export { me, mutate as setMe, refreshMe };

/** Loaded once; a refetch after a change keeps the page (and its state) on screen. */
export const isSettled = () => me.state !== "pending" && me.state !== "unresolved";
