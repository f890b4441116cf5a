import {
  canManageServiceCredentials,
  SERVICE_SECRET_BYTES,
  SERVICE_SECRET_PREFIX,
  type StepUpState,
} from "@cloud2fa/domain";
import { and, asc, eq } from "drizzle-orm";
import { createId, hashToken } from "../../crypto/tokens.js";
import { serviceCredentials } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import type { ServiceCall } from "../context.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import type { UserRow } from "../users.js";

export interface ServiceCredentialView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** §8.1: the root user alone, with step-up (a code within 10 minutes when it has 2FA). */
function authorize(deps: Deps, input: { actor: UserRow; stepUp?: StepUpState }): void {
  const allowed = canManageServiceCredentials(input.actor);
  if (!allowed.ok) throw new AppError(allowed.reason);
  if (input.stepUp) requireStepUp(input.stepUp, deps.clock.now());
}

/** §8.1: a new credential; its secret is in this answer only (the row keeps its hash, like a session token's). */
export async function createServiceCredential({
  deps,
  input,
  meta,
}: ServiceCall<{ actor: UserRow; name: string; stepUp: StepUpState }>): Promise<
  ServiceCredentialView & { secret: string }
> {
  const { actor } = input;
  authorize(deps, input);
  const now = deps.clock.now();
  const secret = `${SERVICE_SECRET_PREFIX}${Buffer.from(deps.random.bytes(SERVICE_SECRET_BYTES)).toString("base64url")}`;
  const row = {
    id: createId(deps.random, "svc"),
    accountId: actor.accountId,
    name: input.name,
    secretHash: hashToken(secret),
    createdBy: actor.id,
    createdAt: now,
    lastUsedAt: null,
  };
  await deps.db.transaction(async (tx) => {
    await tx.insert(serviceCredentials).values(row);
    await recordAuditEvent(tx, deps, {
      accountId: actor.accountId,
      type: "service_credential.created",
      actor: partyOf(actor),
      subject: null,
      meta,
      detail: { credentialId: row.id, name: row.name },
    });
  });
  return { id: row.id, name: row.name, createdAt: now, lastUsedAt: null, secret };
}

/** §8.1: the team's credentials, oldest first, never a secret or its hash. */
export async function listServiceCredentials(
  deps: Deps,
  input: { actor: UserRow },
): Promise<ServiceCredentialView[]> {
  authorize(deps, input);
  return deps.db
    .select({
      id: serviceCredentials.id,
      name: serviceCredentials.name,
      createdAt: serviceCredentials.createdAt,
      lastUsedAt: serviceCredentials.lastUsedAt,
    })
    .from(serviceCredentials)
    .where(eq(serviceCredentials.accountId, input.actor.accountId))
    .orderBy(asc(serviceCredentials.createdAt), asc(serviceCredentials.id));
}

/** §8.1: revoked by deleting its row, so the next introspection with it is refused (401). */
export async function revokeServiceCredential({
  deps,
  input,
  meta,
}: ServiceCall<{ actor: UserRow; credentialId: string; stepUp: StepUpState }>): Promise<void> {
  const { actor } = input;
  authorize(deps, input);
  await deps.db.transaction(async (tx) => {
    const [revoked] = await tx
      .delete(serviceCredentials)
      .where(
        and(eq(serviceCredentials.id, input.credentialId), eq(serviceCredentials.accountId, actor.accountId)),
      )
      .returning({ id: serviceCredentials.id, name: serviceCredentials.name });
    if (!revoked) throw new AppError("NOT_FOUND");
    await recordAuditEvent(tx, deps, {
      accountId: actor.accountId,
      type: "service_credential.revoked",
      actor: partyOf(actor),
      subject: null,
      meta,
      detail: { credentialId: revoked.id, name: revoked.name },
    });
  });
}
