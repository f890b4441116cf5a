import {
  INTROSPECTION_WINDOW_IN_SECONDS,
  type IntrospectionAnswer,
  isSessionVisibleTo,
  MAX_INTROSPECTIONS_PER_WINDOW,
  sessionHoldOf,
  steppedUpUntil,
} from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { serviceCredentials } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { resolveSession } from "../auth/sessions.js";
import { chargeThrottleKeys } from "../limits/password-throttle.js";
import type { ServiceCaller } from "../service-credentials/authenticate.js";

const LAST_USED_RESOLUTION_IN_MS = 60_000;
const inactive: IntrospectionAnswer = Object.freeze({ active: false });

/**
 * §8.2: what a service may know of a session token. The session is resolved as for the API's own
 * requests (resolveSession: live, user still allowed in, last seen touched); another account's
 * session is inactive to the caller, and not touched. Charged first on the caller's windowed counter (429).
 */
export async function introspectSession(
  deps: Deps,
  input: { caller: ServiceCaller; token: string },
): Promise<IntrospectionAnswer> {
  const { caller } = input;
  const now = deps.clock.now();
  const limit = {
    limit: deps.settings.introspectionsPerWindow ?? MAX_INTROSPECTIONS_PER_WINDOW,
    windowInSeconds: INTROSPECTION_WINDOW_IN_SECONDS,
  };
  await chargeThrottleKeys(deps.db, [{ key: `introspect:${caller.id}`, limit }], now);
  if (
    !caller.isConfigured &&
    (caller.lastUsedAt === null || now.getTime() - caller.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_IN_MS)
  ) {
    await deps.db
      .update(serviceCredentials)
      .set({ lastUsedAt: now })
      .where(eq(serviceCredentials.id, caller.id));
  }
  const auth = await resolveSession(deps, input.token, (accountId) => isSessionVisibleTo(caller, accountId));
  if (!auth) return inactive;
  const { user } = auth;
  const hold = sessionHoldOf({ mustChangePassword: auth.isPasswordChangeOwed, enrolment: auth.enrolment });
  return {
    active: true,
    userId: user.id,
    accountId: auth.row.accountId,
    kind: user.kind,
    roles: user.kind === "member" ? [...user.roles] : [],
    sso: user.kind === "member" && user.isSso,
    twoFactorEnabled: auth.enabled !== undefined,
    secondFactorPassed: auth.secondFactorPassed,
    steppedUpUntil: auth.steppedUpAt ? steppedUpUntil(auth.steppedUpAt).toISOString() : null,
    enrolmentRequired: hold === "TWO_FACTOR_ENROLMENT_REQUIRED",
    passwordChangeRequired: auth.isPasswordChangeOwed,
    expiresAt: auth.expiresAt.toISOString(),
  };
}
