import {
  SSO_CLOCK_TOLERANCE_IN_SECONDS,
  SSO_PROVIDER_TIMEOUT_IN_SECONDS,
  type SsoSignInRefusal,
} from "@cloud2fa/domain";
import * as oidc from "openid-client";
import type { Deps } from "../../deps.js";

/** A provider's answers are waited for at most this long, all requests of one step together (§7.2). */
export function providerDeadline(): AbortSignal {
  return AbortSignal.timeout(SSO_PROVIDER_TIMEOUT_IN_SECONDS * 1000);
}

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** An http:// issuer only on a loopback address, and only where the settings allow it (tests, pnpm idp). */
export function isInsecureIssuerAllowed(deps: Pick<Deps, "settings">, issuer: URL): boolean {
  return (
    deps.settings.ssoAllowsHttpLoopbackIssuer === true &&
    issuer.protocol === "http:" &&
    loopbackHosts.has(issuer.hostname)
  );
}

/**
 * The relying party for a team (openid-client: discovery checks the issuer; ID tokens are checked
 * against the provider's JWKS with asymmetric algorithms only — nonrepudiation checks — with the
 * product's clock and a 60 s leeway).
 */
export async function discoverProvider(
  deps: Pick<Deps, "settings" | "clock">,
  input: { issuer: string; clientId: string; clientSecret: string; deadline: AbortSignal },
): Promise<oidc.Configuration> {
  const issuer = new URL(input.issuer);
  const boundedFetch: oidc.CustomFetch = (url, options) =>
    fetch(url, {
      ...options,
      signal: options.signal ? AbortSignal.any([options.signal, input.deadline]) : input.deadline,
    } as RequestInit);
  const metadata: Partial<oidc.ClientMetadata> = {
    client_secret: input.clientSecret,
    // The product's clock, not the process's, decides what is expired (tests move it; production is equal).
    [oidc.clockSkew]: Math.round((deps.clock.now().getTime() - Date.now()) / 1000),
    [oidc.clockTolerance]: SSO_CLOCK_TOLERANCE_IN_SECONDS,
  };
  const config = await oidc.discovery(issuer, input.clientId, metadata, undefined, {
    timeout: SSO_PROVIDER_TIMEOUT_IN_SECONDS,
    [oidc.customFetch]: boundedFetch,
    ...(isInsecureIssuerAllowed(deps, issuer) ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
  config.timeout = SSO_PROVIDER_TIMEOUT_IN_SECONDS;
  config[oidc.customFetch] = boundedFetch;
  oidc.enableNonRepudiationChecks(config);
  return config;
}

function causesOf(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Unreachable, slow, or a 5xx: the provider is unavailable; anything else it said is not accepted. */
export function providerRefusalOf(error: unknown): SsoSignInRefusal {
  const isUnavailable = causesOf(error).some((cause) => {
    if (!(cause instanceof Error)) return false;
    if (cause.name === "AbortError" || cause.name === "TimeoutError") return true;
    if (cause instanceof TypeError && /fetch failed/i.test(cause.message)) return true;
    if (
      /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|UND_ERR/.test(
        String((cause as { code?: unknown }).code),
      )
    )
      return true;
    const status = (cause as { status?: unknown }).status;
    return typeof status === "number" && status >= 500;
  });
  return isUnavailable ? "SSO_PROVIDER_UNAVAILABLE" : "SSO_TOKEN_INVALID";
}

/** A short reason for people and the audit trail (never a secret: the library's message, bounded). */
export function providerReasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 300);
}
