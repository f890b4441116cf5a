import { eq } from "drizzle-orm";
import { hashToken } from "../../crypto/tokens.js";
import { serviceCredentials } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";

/** §8.1: a credential of an internal deployment, from SERVICE_CREDENTIALS (only its secret's hash is kept). */
export interface ConfiguredServiceCredential {
  name: string;
  /** null: it sees the sessions of every account (an operator's own service). */
  accountId: string | null;
  secretHash: string;
}

/** The service that presented a credential: a row of `service_credentials`, or one from configuration. */
export interface ServiceCaller {
  /** The key of its introspection counter: the row's id, or `cfg:` and the configured name. */
  id: string;
  name: string;
  accountId: string | null;
  lastUsedAt: Date | null;
  isConfigured: boolean;
}

/** §8.2: the caller a presented secret names, or null (unknown, revoked). Reads only. */
export async function authenticateServiceCredential(
  deps: Deps,
  secret: string,
): Promise<ServiceCaller | null> {
  const secretHash = hashToken(secret);
  const configured = deps.settings.serviceCredentials?.find((entry) => entry.secretHash === secretHash);
  if (configured) {
    return {
      id: `cfg:${configured.name}`,
      name: configured.name,
      accountId: configured.accountId,
      lastUsedAt: null,
      isConfigured: true,
    };
  }
  const [row] = await deps.db
    .select({
      id: serviceCredentials.id,
      name: serviceCredentials.name,
      accountId: serviceCredentials.accountId,
      lastUsedAt: serviceCredentials.lastUsedAt,
    })
    .from(serviceCredentials)
    .where(eq(serviceCredentials.secretHash, secretHash));
  return row ? { ...row, isConfigured: false } : null;
}
