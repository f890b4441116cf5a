import {
  type MemberRole,
  normalizeSsoDomain,
  type StepUpState,
  ssoChangeEndsSessions,
  ssoChangeIsNotified,
} from "@cloud2fa/domain";
import { and, eq } from "drizzle-orm";
import { openSecret, sealSecret } from "../../crypto/secret-box.js";
import type { Queryable } from "../../db/connect.js";
import { teamSso, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { AppError } from "../../http/errors.js";
import { ssoChangedMessage } from "../../mail/messages.js";
import { partyOf, recordAuditEvent } from "../audit/record-event.js";
import { revokeUserAccess } from "../auth/sessions.js";
import type { ServiceCall } from "../context.js";
import { enqueueMail } from "../mail.js";
import { requireStepUp } from "../step-up/require-step-up.js";
import type { UserRow } from "../users.js";
import { discoverProvider, isInsecureIssuerAllowed, providerDeadline, providerReasonOf } from "./provider.js";

export type TeamSsoRow = typeof teamSso.$inferSelect;

export interface SsoSettingsView {
  configured: boolean;
  issuer: string | null;
  clientId: string | null;
  clientSecretSet: boolean;
  allowedDomains: string[];
  jitEnabled: boolean;
  jitRoles: MemberRole[];
  enabled: boolean;
  redirectUri: string;
  signInUrl: string;
  updatedAt: string | null;
}

export interface SsoSettingsInput {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  allowedDomains: string[];
  jitEnabled: boolean;
  jitRoles: MemberRole[];
  enabled: boolean;
}

/** §7.1: the address to register at the provider, and the team's SSO sign-in page. */
export function ssoAddresses(deps: Pick<Deps, "settings">, accountId: string) {
  return {
    redirectUri: `${deps.settings.publicUrl}/api/auth/sso/callback`,
    signInUrl: `${deps.settings.publicUrl}/member/sso/${accountId}`,
  };
}

export async function findTeamSso(q: Queryable, accountId: string): Promise<TeamSsoRow | null> {
  const [row] = await q.select().from(teamSso).where(eq(teamSso.accountId, accountId));
  return row ?? null;
}

/** S4: the client secret opens only under its own team's id (a ciphertext moved to another team does not). */
export function openClientSecret(deps: Pick<Deps, "keys">, row: TeamSsoRow): string | null {
  return openSecret(deps.keys, { sealed: row.clientSecretCiphertext, userId: row.accountId });
}

function viewOf(deps: Pick<Deps, "settings">, accountId: string, row: TeamSsoRow | null): SsoSettingsView {
  return {
    configured: row !== null,
    issuer: row?.issuer ?? null,
    clientId: row?.clientId ?? null,
    clientSecretSet: row !== null,
    allowedDomains: row?.allowedDomains ?? [],
    jitEnabled: row?.jitEnabled ?? false,
    jitRoles: (row?.jitRoles ?? []) as MemberRole[],
    enabled: row?.enabled ?? false,
    ...ssoAddresses(deps, accountId),
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

/** §7.1: the root user's alone (an administrator manages members, not the team's sign-in). */
function authorizeSsoSettings(actor: UserRow): void {
  if (actor.kind !== "root") throw new AppError("FORBIDDEN");
}

export async function readSsoSettings(deps: Deps, actor: UserRow): Promise<SsoSettingsView> {
  authorizeSsoSettings(actor);
  return viewOf(deps, actor.accountId, await findTeamSso(deps.db, actor.accountId));
}

function discoveryFailed(reason: string): AppError {
  return new AppError("SSO_DISCOVERY_FAILED", { detail: { reason, field: "issuer" } });
}

/** 422 SSO_DISCOVERY_FAILED unless the issuer publishes an OpenID configuration naming itself, within 10 s. */
async function checkDiscovery(deps: Deps, input: { issuer: string; clientId: string; clientSecret: string }) {
  let issuer: URL;
  try {
    issuer = new URL(input.issuer);
  } catch {
    throw discoveryFailed("The issuer is not a URL.");
  }
  if (issuer.protocol !== "https:" && !isInsecureIssuerAllowed(deps, issuer)) {
    throw discoveryFailed("The issuer must be an https:// address.");
  }
  try {
    await discoverProvider(deps, { ...input, deadline: providerDeadline() });
  } catch (error) {
    throw discoveryFailed(providerReasonOf(error));
  }
}

/** S5, §7.1: SSO turned on or off, or another provider: every SSO member's sessions and challenges end. */
async function endSsoMemberSessions(q: Queryable, accountId: string, now: Date): Promise<void> {
  const members = await q
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.accountId, accountId), eq(users.kind, "member"), eq(users.isSso, true)));
  for (const member of members) await revokeUserAccess(q, { userId: member.id, now });
}

async function recordSsoChange(
  tx: Queryable,
  deps: Deps,
  input: {
    actor: UserRow;
    meta: ServiceCall<unknown>["meta"];
    before: TeamSsoRow | null;
    after: TeamSsoRow | null;
    detail: Record<string, unknown>;
  },
): Promise<void> {
  const { actor, before, after } = input;
  const now = deps.clock.now();
  const isEnding = ssoChangeEndsSessions(before, after);
  if (isEnding) await endSsoMemberSessions(tx, actor.accountId, now);
  await recordAuditEvent(tx, deps, {
    accountId: actor.accountId,
    type: "team.sso_changed",
    actor: partyOf(actor),
    subject: null,
    meta: input.meta,
    detail: { ...input.detail, sessionsEnded: isEnding },
  });
  if (ssoChangeIsNotified(before, after)) {
    await enqueueMail(
      tx,
      deps,
      ssoChangedMessage(actor.email, {
        enabled: after?.enabled === true,
        issuer: after?.issuer ?? null,
        previousIssuer: before?.issuer ?? null,
        by: actor.email,
        at: now,
      }),
    );
  }
}

/** §7.1 PUT: discovery checked, the secret sealed (kept when not given again), SSO members' sessions ended on a change. */
export async function saveSsoSettings({
  deps,
  input,
  meta,
}: ServiceCall<{
  actor: UserRow;
  settings: SsoSettingsInput;
  stepUp: StepUpState;
}>): Promise<SsoSettingsView> {
  const { actor, settings } = input;
  authorizeSsoSettings(actor);
  requireStepUp(input.stepUp, deps.clock.now());
  const before = await findTeamSso(deps.db, actor.accountId);
  const keptSecret = before && settings.clientSecret === undefined ? openClientSecret(deps, before) : null;
  const clientSecret = settings.clientSecret ?? keptSecret;
  if (clientSecret === null) {
    throw new AppError("VALIDATION_FAILED", { message: "clientSecret: the client secret is required." });
  }
  await checkDiscovery(deps, { issuer: settings.issuer, clientId: settings.clientId, clientSecret });
  const now = deps.clock.now();
  const row: TeamSsoRow = {
    accountId: actor.accountId,
    issuer: settings.issuer,
    clientId: settings.clientId,
    clientSecretCiphertext: sealSecret(deps.keys, deps.random, {
      plaintext: clientSecret,
      userId: actor.accountId,
    }),
    allowedDomains: [...new Set(settings.allowedDomains.map(normalizeSsoDomain))],
    jitEnabled: settings.jitEnabled,
    jitRoles: [...new Set(settings.jitRoles)],
    enabled: settings.enabled,
    updatedAt: now,
  };
  const saved = await deps.db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(teamSso)
      .where(eq(teamSso.accountId, actor.accountId))
      .for("update");
    const current = locked[0] ?? null;
    const [written] = await tx
      .insert(teamSso)
      .values(row)
      .onConflictDoUpdate({ target: teamSso.accountId, set: { ...row } })
      .returning();
    if (!written) throw new Error("upsert returned nothing");
    await recordSsoChange(tx, deps, {
      actor,
      meta,
      before: current,
      after: written,
      detail: {
        enabled: written.enabled,
        issuer: written.issuer,
        ...(current && current.issuer !== written.issuer ? { previousIssuer: current.issuer } : {}),
        clientId: written.clientId,
        clientSecretChanged: settings.clientSecret !== undefined,
        allowedDomains: written.allowedDomains,
        jitEnabled: written.jitEnabled,
        jitRoles: written.jitRoles,
      },
    });
    return written;
  });
  return viewOf(deps, actor.accountId, saved);
}

/** §7.1 DELETE: the configuration removed (SSO off); links of members stay for a provider set up again. */
export async function deleteSsoSettings({
  deps,
  input,
  meta,
}: ServiceCall<{ actor: UserRow; stepUp: StepUpState }>): Promise<void> {
  const { actor } = input;
  authorizeSsoSettings(actor);
  requireStepUp(input.stepUp, deps.clock.now());
  await deps.db.transaction(async (tx) => {
    const [removed] = await tx.delete(teamSso).where(eq(teamSso.accountId, actor.accountId)).returning();
    if (!removed) throw new AppError("NOT_FOUND", { message: "Single sign-on is not configured." });
    await recordSsoChange(tx, deps, {
      actor,
      meta,
      before: removed,
      after: null,
      detail: { enabled: false, removed: true, previousIssuer: removed.issuer },
    });
  });
}
