import { AppError } from "../../http/errors.js";
import type { ServiceCall } from "../context.js";
import { loadUser } from "../users.js";
import { issueEmailCode } from "./codes.js";

/** A code to confirm a sensitive action (R10's removal) for a user whose method is email. */
export async function sendActionCode({ deps, input }: ServiceCall<{ userId: string }>): Promise<void> {
  const now = deps.clock.now();
  const loaded = await loadUser(deps.db, { id: input.userId });
  if (!loaded) throw new AppError("UNAUTHENTICATED");
  if (loaded.enabled?.method !== "email") throw new AppError("METHOD_NOT_ALLOWED");
  await deps.db.transaction((tx) =>
    issueEmailCode(tx, deps, {
      send: "first",
      userId: loaded.row.id,
      purpose: "action",
      bindingId: loaded.row.id,
      now,
      to: loaded.row.email,
    }),
  );
}
