import { addSeconds, type ErrorCode, mustSignInWithSso, SSO_STATE_TTL_IN_SECONDS } from "@cloud2fa/domain";
import * as oidc from "openid-client";
import { createId, hashToken } from "../../crypto/tokens.js";
import { ssoSignIns } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import type { SessionUser } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { discoverProvider, providerDeadline, providerReasonOf, providerRefusalOf } from "./provider.js";
import { findTeamSso, openClientSecret, ssoAddresses } from "./settings.js";

const RANDOM_BYTES = 32;

export type StartSsoResult =
  | { ok: true; authorizationUrl: string; browserBinding: string }
  | { ok: false; reason: ErrorCode; detail?: string };

function randomText(deps: Pick<Deps, "random">): string {
  return Buffer.from(deps.random.bytes(RANDOM_BYTES)).toString("base64url");
}

/**
 * §7.2: authorization code with PKCE S256; state, nonce and verifier kept server-side for 10 minutes,
 * bound to the team and to the browser (the caller sets `browserBinding` in a SameSite=Lax cookie).
 * §7.3 step-up: `prompt=login`, `max_age=0` for the SSO member signed in on `stepUpOf`.
 */
export async function startSsoSignIn({
  deps,
  input,
}: ServiceCall<{
  accountId: string;
  stepUpOf: SessionUser | null | undefined;
  returnPath: string;
}>): Promise<StartSsoResult> {
  const now = deps.clock.now();
  const sso = await findTeamSso(deps.db, input.accountId);
  if (!sso?.enabled) return { ok: false, reason: "SSO_NOT_ENABLED" };
  const stepUp = input.stepUpOf;
  if (stepUp !== undefined) {
    const isOwnSsoMember =
      stepUp !== null && stepUp.row.accountId === input.accountId && mustSignInWithSso(stepUp.row, true);
    if (!isOwnSsoMember) return { ok: false, reason: "UNAUTHENTICATED" };
  }
  const clientSecret = openClientSecret(deps, sso);
  if (clientSecret === null) {
    deps.logger.error(
      "ENCRYPTION_KEY_MISSING: the SSO client secret of a team does not open under ENCRYPTION_KEYS",
      {
        accountId: sso.accountId,
      },
    );
    return { ok: false, reason: "ENCRYPTION_KEY_MISSING" };
  }
  let config: oidc.Configuration;
  try {
    config = await discoverProvider(deps, {
      issuer: sso.issuer,
      clientId: sso.clientId,
      clientSecret,
      deadline: providerDeadline(),
    });
  } catch (error) {
    // Discovery answered on save; failing now is the provider being away (or its configuration broken).
    const reason = providerRefusalOf(error);
    return {
      ok: false,
      reason: reason === "SSO_TOKEN_INVALID" ? "SSO_PROVIDER_UNAVAILABLE" : reason,
      detail: providerReasonOf(error),
    };
  }
  const state = randomText(deps);
  const nonce = randomText(deps);
  const codeVerifier = randomText(deps);
  const browserBinding = randomText(deps);
  await deps.db.insert(ssoSignIns).values({
    id: createId(deps.random, "sso"),
    stateHash: hashToken(state),
    accountId: sso.accountId,
    issuer: sso.issuer,
    browserBindingHash: hashToken(browserBinding),
    nonce,
    codeVerifier,
    stepUpSessionId: stepUp ? stepUp.sessionId : null,
    returnPath: input.returnPath,
    expiresAt: addSeconds(now, SSO_STATE_TTL_IN_SECONDS),
    createdAt: now,
  });
  const parameters: Record<string, string> = {
    redirect_uri: ssoAddresses(deps, sso.accountId).redirectUri,
    response_type: "code",
    scope: "openid email profile",
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  };
  if (stepUp) Object.assign(parameters, { prompt: "login", max_age: "0" });
  return { ok: true, authorizationUrl: oidc.buildAuthorizationUrl(config, parameters).href, browserBinding };
}
