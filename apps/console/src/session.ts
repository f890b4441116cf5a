import { createSession } from "@cloud2fa/ui";
import { loadMe } from "./api.js";

export const { me, refreshMe, setMe, isSettled } = createSession(loadMe);
