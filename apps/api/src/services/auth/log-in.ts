import {
  addSeconds,
  CHALLENGE_TTL_IN_SECONDS,
  canSignIn,
  type ErrorCode,
  mayRecoverLockedFactor,
  memberEnrolment,
  mustSignInWithSso,
  SESSION_TOKEN_BYTES,
  type TwoFactorMethod,
} from "@cloud2fa/domain";
import { type SQL, sql } from "drizzle-orm";
import { admitPasswordHash } from "../../crypto/passwords.js";
import { createId, createToken } from "../../crypto/tokens.js";
import { asDate, type Queryable, queryRows, type Tx } from "../../db/connect.js";
import { AppError } from "../../http/errors.js";
import { resendVerificationLink } from "../accounts/resend-verification.js";
import { auditEventInsertWhen, partyOf } from "../audit/record-event.js";
import type { RequestMeta, ServiceCall } from "../context.js";
import {
  type PasswordThrottle,
  passwordThrottleOf,
  type Reservation,
  refundPasswordAttemptStatement,
  refusePasswordAttempt,
  reservationColumns,
  reservePasswordAttemptCtes,
} from "../limits/password-throttle.js";
import { issueEmailCode } from "../two-factor/codes.js";
import { normalizeEmail, toDomainUser, type UserRow } from "../users.js";
import { sessionOrigin } from "./sessions.js";

export type LogInInput =
  | { kind: "root"; email: string; password: string }
  | { kind: "member"; accountId: string; email: string; password: string };

export type LogInResult =
  | { status: "authenticated"; token: string; userId: string; enrolmentRequired?: true }
  | { status: "two_factor_required"; challengeId: string; method: TwoFactorMethod; isLocked?: true };

interface Candidate {
  id: string | null;
  accountId: string;
  kind: "root" | "member";
  email: string;
  passwordHash: string;
  emailVerifiedAt: string | null;
  status: UserRow["status"];
  roles: string[];
  isSso: boolean;
  accessVersion: number;
  mustChangePassword: boolean;
  factorMethod: TwoFactorMethod | null;
  isFactorLocked: boolean;
  requireMemberTwoFactor: boolean | null;
  memberTwoFactorDeadline: string | null;
  isTeamSsoEnabled: boolean | null;
}

type KnownCandidate = Candidate & { id: string };

const candidateColumns = sql`u.id, u.account_id as "accountId", u.kind, u.email, u.password_hash as "passwordHash",
      u.email_verified_at as "emailVerifiedAt", u.status, u.roles, u.is_sso as "isSso",
      u.access_version as "accessVersion", u.must_change_password as "mustChangePassword",
      factor.method as "factorMethod", factor.locked_at is not null as "isFactorLocked",
      team.require_member_two_factor as "requireMemberTwoFactor",
      team.member_two_factor_deadline as "memberTwoFactorDeadline", team_sso.enabled as "isTeamSsoEnabled"`;

const candidateJoins = sql`left join two_factors factor on factor.user_id = u.id
    left join accounts team on team.id = u.account_id
    left join team_sso on team_sso.account_id = u.account_id`;

/** Round trip 1, one statement: reserve the password attempt on both keys (S3) and find the user with its factor. */
function findCandidateStatement(input: LogInInput, throttle: PasswordThrottle, now: Date): SQL {
  const emailNormalized = normalizeEmail(input.email);
  const match =
    input.kind === "root"
      ? sql`u.kind = 'root' and u.email_normalized = ${emailNormalized}`
      : sql`u.kind = 'member' and u.account_id = ${input.accountId} and u.email_normalized = ${emailNormalized}`;
  return sql`
    with ${reservePasswordAttemptCtes(throttle, now)}
    select ${reservationColumns}, ${candidateColumns}
    from (select 1) as one
    left join users u on ${match}
    ${candidateJoins}`;
}

/** What a right password opens for the user as read: R2, canSignIn, the hard cap, Require 2FA. */
type Opening =
  | { kind: "refused"; reason: ErrorCode }
  | { kind: "session"; isEnrolmentRequired: boolean }
  | { kind: "challenge"; method: TwoFactorMethod; isLocked: boolean };

function openingOf(candidate: KnownCandidate, now: Date): Opening {
  const user = toDomainUser({
    ...candidate,
    emailNormalized: normalizeEmail(candidate.email),
    emailVerifiedAt: asDate(candidate.emailVerifiedAt),
    remark: "",
    ssoIssuer: null,
    ssoSubject: null,
    createdAt: now,
  });
  const allowed = canSignIn(user);
  if (!allowed.ok) return { kind: "refused", reason: allowed.reason };
  // §7.3: decided only after the password was checked, so it tells a guesser nothing.
  if (mustSignInWithSso(user, candidate.isTeamSsoEnabled === true)) {
    return { kind: "refused", reason: "SSO_SIGN_IN_REQUIRED" };
  }
  const method = candidate.factorMethod; // R2: an enabled factor means a challenge.
  if (method === null) {
    const policy = {
      required: candidate.requireMemberTwoFactor === true,
      deadline: asDate(candidate.memberTwoFactorDeadline),
    };
    // Require 2FA for members: the session opens, restricted to the setup (the guard reads the policy live).
    const enrolment = memberEnrolment({ policy, user, hasTwoFactor: false }, now);
    return { kind: "session", isEnrolmentRequired: enrolment.state === "required_now" };
  }
  // Hard cap: a locked factor checks no code, so none is mailed. A member hears it now; a root user
  // gets the challenge for a recovery code, told that it is locked.
  if (candidate.isFactorLocked && !mayRecoverLockedFactor(user.kind)) {
    return { kind: "refused", reason: "TWO_FACTOR_LOCKED" };
  }
  return { kind: "challenge", method, isLocked: candidate.isFactorLocked };
}

/**
 * S5, R2: the CTE `unchanged`, the user's row as the candidate read it, share-locked. A change to the
 * user's access (revokeUserAccess raises the version; a deletion removes the row) that commits
 * first makes it empty; one in progress is waited for, then found; one that comes later waits for
 * this statement and then revokes what it created.
 */
function unchangedUserCte(candidate: KnownCandidate): SQL {
  return sql`unchanged as (
      select id from users where id = ${candidate.id} and access_version = ${candidate.accessVersion} for share)`;
}

/** S3: a right password's reservation is given back in the statement that opens the session or challenge. */
const refundCte = (refund: SQL | null) => (refund ? sql`refund as (${refund}),` : sql``);

interface Opened {
  result: LogInResult;
}

/** Inserts what `opening` opens, if the user is unchanged; null if it changed since the candidate was read. */
async function openFor(
  deps: ServiceCall<LogInInput>["deps"],
  candidate: KnownCandidate,
  opening: Exclude<Opening, { kind: "refused" }>,
  input: { now: Date; refund: SQL | null; meta: RequestMeta; tx?: Tx },
): Promise<Opened | null> {
  const { now, refund } = input;
  const q: Queryable = input.tx ?? deps.db;
  const userId = candidate.id;
  const at = sql`${now.toISOString()}::timestamptz`;
  if (opening.kind === "session") {
    const sessionId = createId(deps.random, "ses");
    const { token, tokenHash } = createToken(deps.random, SESSION_TOKEN_BYTES);
    const origin = sessionOrigin(input.meta);
    // S8: a session on the password alone is audited in the statement that creates it (no round trip).
    const party = partyOf(candidate);
    const signedIn = auditEventInsertWhen(
      deps,
      {
        accountId: candidate.accountId,
        type: "session.signed_in",
        actor: party,
        subject: party,
        meta: input.meta,
        detail: { secondFactor: false },
      },
      sql`select 1 from created`,
    );
    const created = await queryRows(
      q,
      sql`
      with ${refundCte(refund)} ${unchangedUserCte(candidate)},
      created as (
        insert into sessions (id, token_hash, user_id, created_at, last_seen_at, client_address, user_agent)
        select ${sessionId}, ${tokenHash}, id, ${at}, ${at}, ${origin.clientAddress}, ${origin.userAgent}
        from unchanged
        returning id),
      audited as (${signedIn})
      select id from created`,
    );
    if (created.length === 0) return null;
    return {
      result: opening.isEnrolmentRequired
        ? { status: "authenticated", token, userId, enrolmentRequired: true }
        : { status: "authenticated", token, userId },
    };
  }
  const { method, isLocked } = opening;
  const challengeId = createId(deps.random, "chl");
  const expiresAt = addSeconds(now, CHALLENGE_TTL_IN_SECONDS);
  const insertChallenge = (withRefund: SQL | null) => sql`
      with ${refundCte(withRefund)} ${unchangedUserCte(candidate)}
      insert into sign_in_challenges (id, user_id, method, expires_at, attempt_count, created_at)
      select ${challengeId}, id, ${method}, ${expiresAt.toISOString()}::timestamptz, 0, ${at} from unchanged
      returning id`;
  if (method === "totp" || isLocked) {
    if ((await queryRows(q, insertChallenge(refund))).length === 0) return null;
    return {
      result: isLocked
        ? { status: "two_factor_required", challengeId, method, isLocked: true }
        : { status: "two_factor_required", challengeId, method },
    };
  }
  // S3: the refund commits on its own, so a mail budget that refuses the code does not undo it.
  if (refund) await queryRows(q, refund);
  const issue = async (tx: Tx) => {
    if ((await queryRows(tx, insertChallenge(null))).length === 0) return false;
    await issueEmailCode(tx, deps, {
      send: "first",
      userId,
      purpose: "sign_in",
      bindingId: challengeId,
      now,
      expiresAt,
      to: candidate.email,
    });
    return true;
  };
  const isIssued = input.tx ? await issue(input.tx) : await deps.db.transaction(issue);
  if (!isIssued) return null;
  return { result: { status: "two_factor_required", challengeId, method } };
}

/**
 * S5, R2, S7: the user's access changed while its password was checked (2FA enabled or removed,
 * disabled, deleted). Decide again on the user's current row, share-locked until the session or
 * challenge is in: nothing that ends access can commit in between. A password changed meanwhile
 * is not the one just checked.
 */
async function reopen(
  deps: ServiceCall<LogInInput>["deps"],
  checked: KnownCandidate,
  now: Date,
  meta: RequestMeta,
): Promise<Opened> {
  return deps.db.transaction(async (tx) => {
    // Locked first, read by the next statement: a statement that waited for a lock would still read
    // the factor and team as of its own start, before the change that held the lock committed.
    await queryRows(tx, sql`select id from users where id = ${checked.id} for share`);
    const [current] = await queryRows<Candidate>(
      tx,
      sql`select ${candidateColumns} from users u ${candidateJoins} where u.id = ${checked.id}`,
    );
    if (!current?.id || current.passwordHash !== checked.passwordHash)
      throw new AppError("INVALID_CREDENTIALS");
    const known = { ...current, id: current.id };
    const opening = openingOf(known, now);
    if (opening.kind === "refused") throw new AppError(opening.reason);
    const opened = await openFor(deps, known, opening, { now, refund: null, meta, tx });
    // The row is share-locked by this transaction: its version cannot have moved since it was read.
    if (!opened) throw new AppError("DATABASE_UNAVAILABLE");
    return opened;
  });
}

/**
 * S6: an unknown email and a wrong password answer alike, after the same argon2 work.
 * R2: with 2FA enabled the password only opens a challenge, never a session.
 * S5: what the password opens is inserted only if the user's access has not changed since it was
 * read; else it is decided again on the current row (`reopen`).
 * Two round trips besides the password hash, one for a wrong password (an emailed code takes more:
 * the refund, then the code with its mail budget in one transaction).
 */
export async function logIn({ deps, input, meta }: ServiceCall<LogInInput>): Promise<LogInResult> {
  const now = deps.clock.now();
  const emailNormalized = normalizeEmail(input.email);
  const throttle = passwordThrottleOf({ ...input, emailNormalized }, meta.clientAddress);
  // Issue 13: a place in the hash queue first (503 beyond it, nothing charged); then both keys are
  // reserved before argon2, so a wrong password is already counted and costs no further round trip.
  const hashing = admitPasswordHash(meta.clientAddress, deps.passwordHashCost);
  let candidate: (Candidate & Reservation) | undefined;
  let isPasswordRight = false;
  try {
    [candidate] = await queryRows<Candidate & Reservation>(
      deps.db,
      findCandidateStatement(input, throttle, now),
    );
    if (!candidate?.isReserved) {
      return await refusePasswordAttempt(
        deps.db,
        throttle,
        now,
        candidate ?? { isReserved: false, isPartlyReserved: false },
      );
    }
    isPasswordRight = candidate.id
      ? await hashing.verify(candidate.passwordHash, input.password)
      : await hashing.burn(input.password);
  } finally {
    hashing.release();
  }
  // S6: before its email is verified, a root user's right password answers like a wrong one (its
  // reservation stays charged) and mails the link again.
  const isUnverified = candidate.kind === "root" && candidate.emailVerifiedAt === null;
  if (candidate.id && isPasswordRight && isUnverified) {
    await resendVerificationLink(deps, { ...candidate, id: candidate.id, emailNormalized }, { now, meta });
  }
  if (!candidate.id || !isPasswordRight || isUnverified) throw new AppError("INVALID_CREDENTIALS");
  const known = { ...candidate, id: candidate.id };
  const refund = refundPasswordAttemptStatement(throttle);
  const opening = openingOf(known, now);
  if (opening.kind === "refused") {
    await queryRows(deps.db, refund);
    throw new AppError(opening.reason);
  }
  const opened =
    (await openFor(deps, known, opening, { now, refund, meta })) ?? (await reopen(deps, known, now, meta));
  return opened.result;
}

/**
 * §7.2: the session of an SSO sign-in, beside the password's: the caller holds the member's row
 * locked (FOR UPDATE) in `tx`, so nothing that ends its access commits in between; audited
 * `sso.signed_in` with the provider's amr/acr. An SSO member has no second factor here (R6); R2:
 * should a factor of this product be enabled for the user all the same, no session opens (null).
 */
export async function openSsoSession(
  tx: Tx,
  deps: ServiceCall<unknown>["deps"],
  input: { user: UserRow; now: Date; meta: RequestMeta; detail: Record<string, unknown> },
): Promise<{ token: string; sessionId: string } | null> {
  const sessionId = createId(deps.random, "ses");
  const { token, tokenHash } = createToken(deps.random, SESSION_TOKEN_BYTES);
  const origin = sessionOrigin(input.meta);
  const at = sql`${input.now.toISOString()}::timestamptz`;
  const party = partyOf(input.user);
  const signedIn = auditEventInsertWhen(
    deps,
    {
      accountId: input.user.accountId,
      type: "sso.signed_in",
      actor: party,
      subject: party,
      meta: input.meta,
      detail: input.detail,
    },
    sql`select 1 from created`,
  );
  const created = await queryRows(
    tx,
    sql`
      with created as (
        insert into sessions (id, token_hash, user_id, created_at, last_seen_at, client_address, user_agent)
        select ${sessionId}, ${tokenHash}, ${input.user.id}, ${at}, ${at}, ${origin.clientAddress}, ${origin.userAgent}
        where not exists (select 1 from two_factors where user_id = ${input.user.id})
        returning id),
      audited as (${signedIn})
      select id from created`,
  );
  return created.length === 0 ? null : { token, sessionId };
}
