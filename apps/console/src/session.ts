import { createSession } from "@cloud2fa/ui";
import { loadMe } from "./api.js";

export const session = createSession(loadMe);
export const { me, refreshMe, setMe, isSettled } = session;
