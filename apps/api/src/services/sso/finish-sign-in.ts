import { type ErrorCode, type MemberRole, type SsoCandidate, ssoSignInDecision } from "@cloud2fa/domain";
import { and, eq, isNull, sql } from "drizzle-orm";
import * as oidc from "openid-client";
import { hashPassword } from "../../crypto/passwords.js";
import { createId, hashToken } from "../../crypto/tokens.js";
import { queryRows, type Tx } from "../../db/connect.js";
import { sessions, ssoSignIns, teamSso, users } from "../../db/schema/index.js";
import type { Deps } from "../../deps.js";
import { auditEventInsertWhen, partyOf, recordAuditEvent } from "../audit/record-event.js";
import { openSsoSession } from "../auth/log-in.js";
import type { RequestMeta, ServiceCall } from "../context.js";
import { normalizeEmail, type UserRow } from "../users.js";
import { discoverProvider, providerDeadline, providerReasonOf, providerRefusalOf } from "./provider.js";
import { findTeamSso, openClientSecret, ssoAddresses } from "./settings.js";

type SignInRow = typeof ssoSignIns.$inferSelect;

export type FinishSsoResult =
  | { ok: true; token: string | null; accountId: string; returnPath: string }
  | { ok: false; reason: ErrorCode; accountId: string | null };

interface Refusal {
  reason: ErrorCode;
  subject?: UserRow | null;
  detail?: Record<string, unknown>;
}

/** The SameSite=Lax cookie of a sign-in under way: `accountId.binding`. */
export function parseSsoCookie(value: string | undefined): { accountId: string; binding: string } | null {
  const match = /^(acc_[A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{16,128})$/.exec(value ?? "");
  return match?.[1] && match[2] ? { accountId: match[1], binding: match[2] } : null;
}

/**
 * S8: `sso.sign_in_refused`, kept only for a team that exists; before a state is found, only for a
 * browser that did start a sign-in of that team (a forged cookie cannot fill a team's audit trail).
 */
async function recordRefusal(
  deps: Deps,
  input: { accountId: string; refusal: Refusal; meta: RequestMeta; binding?: string },
): Promise<void> {
  const when =
    input.binding === undefined
      ? sql`select 1 from accounts where id = ${input.accountId}`
      : sql`select 1 from sso_sign_ins where account_id = ${input.accountId}
          and browser_binding_hash = ${hashToken(input.binding)} limit 1`;
  const subject = input.refusal.subject ? partyOf(input.refusal.subject) : null;
  await queryRows(
    deps.db,
    auditEventInsertWhen(
      deps,
      {
        accountId: input.accountId,
        type: "sso.sign_in_refused",
        actor: subject,
        subject,
        meta: input.meta,
        detail: { reason: input.refusal.reason, ...input.refusal.detail },
      },
      when,
    ),
  );
}

/** Single use: the state of this browser, unexpired, consumed by one conditional write. */
async function consumeSignIn(
  deps: Deps,
  state: string,
  binding: string,
  now: Date,
): Promise<SignInRow | null> {
  const [row] = await deps.db
    .update(ssoSignIns)
    .set({ consumedAt: now })
    .where(
      and(
        eq(ssoSignIns.stateHash, hashToken(state)),
        eq(ssoSignIns.browserBindingHash, hashToken(binding)),
        isNull(ssoSignIns.consumedAt),
        sql`${ssoSignIns.expiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    )
    .returning();
  return row ?? null;
}

function candidateOf(row: UserRow | undefined, issuer: string): SsoCandidate | null {
  if (!row) return null;
  return {
    kind: row.kind,
    status: row.status,
    isSso: row.isSso,
    linkedSubject: row.ssoIssuer === issuer ? row.ssoSubject : null,
  };
}

interface Claims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  amr?: unknown;
  acr?: unknown;
}

/** §7.2: the decision and its writes in one transaction, the member's row locked against a concurrent change. */
async function settle(
  tx: Tx,
  deps: Deps,
  input: { signIn: SignInRow; claims: Claims; meta: RequestMeta; now: Date },
): Promise<{ ok: true; token: string | null } | ({ ok: false } & Refusal)> {
  const { signIn, claims, meta, now } = input;
  const [sso] = await tx
    .select()
    .from(teamSso)
    .where(and(eq(teamSso.accountId, signIn.accountId), eq(teamSso.issuer, signIn.issuer)))
    .for("share");
  if (!sso?.enabled) return { ok: false, reason: "SSO_NOT_ENABLED" };
  const email = typeof claims.email === "string" ? claims.email : null;
  const [linked] = await tx
    .select()
    .from(users)
    .where(
      and(
        eq(users.accountId, sso.accountId),
        eq(users.ssoIssuer, sso.issuer),
        eq(users.ssoSubject, claims.sub),
      ),
    )
    .for("update");
  const [byEmail] =
    linked || email === null
      ? []
      : await tx
          .select()
          .from(users)
          .where(and(eq(users.accountId, sso.accountId), eq(users.emailNormalized, normalizeEmail(email))))
          .orderBy(sql`${users.kind} = 'member' desc`)
          .limit(1)
          .for("update");
  const decision = ssoSignInDecision({
    policy: {
      enabled: sso.enabled,
      allowedDomains: sso.allowedDomains,
      jitEnabled: sso.jitEnabled,
      jitRoles: sso.jitRoles as MemberRole[],
    },
    identity: { subject: claims.sub, email, emailVerified: claims.email_verified },
    linked: candidateOf(linked, sso.issuer),
    byEmail: candidateOf(byEmail, sso.issuer),
  });
  if (!decision.ok) return { ok: false, reason: decision.reason, subject: linked ?? byEmail ?? null };
  const provider = {
    issuer: sso.issuer,
    ...(claims.amr !== undefined ? { amr: claims.amr } : {}),
    ...(claims.acr !== undefined ? { acr: claims.acr } : {}),
  };
  let member: UserRow | undefined = linked ?? byEmail;
  if (signIn.stepUpSessionId !== null) {
    // §7.3: a fresh provider sign-in of the session's own member stamps that session, as a code does.
    if (!member || decision.action === "create") return { ok: false, reason: "SSO_STATE_INVALID" };
    const stamped = await tx
      .update(sessions)
      .set({ steppedUpAt: now })
      .where(
        and(
          eq(sessions.id, signIn.stepUpSessionId),
          eq(sessions.userId, member.id),
          isNull(sessions.revokedAt),
        ),
      )
      .returning({ id: sessions.id });
    if (stamped.length === 0) return { ok: false, reason: "SSO_STATE_INVALID", subject: member };
    await recordAuditEvent(tx, deps, {
      accountId: member.accountId,
      type: "sso.stepped_up",
      actor: partyOf(member),
      subject: partyOf(member),
      meta,
      detail: provider,
    });
    return { ok: true, token: null };
  }
  if (decision.action === "link" && member) {
    await tx
      .update(users)
      .set({ ssoIssuer: sso.issuer, ssoSubject: claims.sub })
      .where(eq(users.id, member.id));
    await recordAuditEvent(tx, deps, {
      accountId: member.accountId,
      type: "sso.member_linked",
      actor: partyOf(member),
      subject: partyOf(member),
      meta,
      detail: { issuer: sso.issuer },
    });
  }
  if (decision.action === "create" && email !== null) {
    // No password path: an unguessable password nobody knows (§7.3), hashed like any other (S6).
    const passwordHash = await hashPassword(
      Buffer.from(deps.random.bytes(32)).toString("base64url"),
      deps.passwordHashCost,
    );
    const [created] = await tx
      .insert(users)
      .values({
        id: createId(deps.random, "mem"),
        accountId: sso.accountId,
        kind: "member",
        email,
        emailNormalized: normalizeEmail(email),
        passwordHash,
        emailVerifiedAt: now,
        status: "active",
        roles: [...decision.roles],
        isSso: true,
        ssoIssuer: sso.issuer,
        ssoSubject: claims.sub,
        createdAt: now,
      })
      .onConflictDoNothing()
      .returning();
    if (!created) return { ok: false, reason: "SSO_NO_MEMBER" };
    member = created;
    await recordAuditEvent(tx, deps, {
      accountId: created.accountId,
      type: "sso.member_created",
      actor: partyOf(created),
      subject: partyOf(created),
      meta,
      detail: { issuer: sso.issuer, roles: created.roles },
    });
  }
  if (!member) return { ok: false, reason: "SSO_NO_MEMBER" };
  const opened = await openSsoSession(tx, deps, { user: member, now, meta, detail: provider });
  // R2: a second factor of this product would be owed; the provider's sign-in does not give it.
  if (!opened) return { ok: false, reason: "SSO_NO_MEMBER" };
  return { ok: true, token: opened.token };
}

/**
 * §7.2 callback: the state consumed first (single use, this browser), then the provider's answer
 * validated by openid-client within 10 s (issuer, audience, JWKS signature with asymmetric
 * algorithms, exp/iat/nbf with 60 s leeway, nonce, PKCE; auth_time for a step-up), then `settle`.
 */
export async function finishSsoSignIn({
  deps,
  input,
  meta,
}: ServiceCall<{ query: URLSearchParams; cookie: string | undefined }>): Promise<FinishSsoResult> {
  const now = deps.clock.now();
  const cookie = parseSsoCookie(input.cookie);
  const refuse = async (
    accountId: string | null,
    refusal: Refusal,
    binding?: string,
  ): Promise<FinishSsoResult> => {
    if (accountId !== null) {
      await recordRefusal(deps, { accountId, refusal, meta, ...(binding !== undefined ? { binding } : {}) });
    }
    return { ok: false, reason: refusal.reason, accountId };
  };
  const state = input.query.get("state");
  if (!cookie || !state || state.length > 256) {
    return refuse(
      cookie?.accountId ?? null,
      { reason: "SSO_STATE_INVALID", detail: { cause: "no state or cookie" } },
      cookie?.binding ?? "",
    );
  }
  const signIn = await consumeSignIn(deps, state, cookie.binding, now);
  if (!signIn) {
    return refuse(
      cookie.accountId,
      { reason: "SSO_STATE_INVALID", detail: { cause: "unknown, used or expired state" } },
      cookie.binding,
    );
  }
  const sso = await findTeamSso(deps.db, signIn.accountId);
  if (!sso?.enabled || sso.issuer !== signIn.issuer)
    return refuse(signIn.accountId, { reason: "SSO_NOT_ENABLED" });
  const clientSecret = openClientSecret(deps, sso);
  if (clientSecret === null) return refuse(signIn.accountId, { reason: "ENCRYPTION_KEY_MISSING" });
  let claims: Claims;
  try {
    const deadline = providerDeadline();
    const config = await discoverProvider(deps, {
      issuer: sso.issuer,
      clientId: sso.clientId,
      clientSecret,
      deadline,
    });
    const currentUrl = new URL(ssoAddresses(deps, sso.accountId).redirectUri);
    currentUrl.search = input.query.toString();
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: signIn.codeVerifier,
      expectedState: state,
      expectedNonce: signIn.nonce,
      idTokenExpected: true,
      ...(signIn.stepUpSessionId !== null ? { maxAge: 0 } : {}),
    });
    const idClaims = tokens.claims();
    if (!idClaims) throw new Error("no ID token");
    claims = idClaims as Claims;
    // Some providers put the address only in userinfo: asked for the same subject (the library checks it).
    if (claims.email === undefined && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      claims = { ...claims, email: info.email, email_verified: info.email_verified };
    }
  } catch (error) {
    return refuse(signIn.accountId, {
      reason: providerRefusalOf(error),
      detail: { issuer: sso.issuer, cause: providerReasonOf(error) },
    });
  }
  const settled = await deps.db.transaction((tx) => settle(tx, deps, { signIn, claims, meta, now }));
  if (!settled.ok) {
    const email = typeof claims.email === "string" ? claims.email : null;
    return refuse(signIn.accountId, {
      reason: settled.reason,
      subject: settled.subject ?? null,
      detail: { issuer: sso.issuer, sub: claims.sub, ...(email ? { email } : {}) },
    });
  }
  return { ok: true, token: settled.token, accountId: signIn.accountId, returnPath: signIn.returnPath };
}
