import { createRoute, z } from "@hono/zod-openapi";
import { loadSession } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { clearSessionCookie, writeSessionCookie } from "../http/session-cookie.js";
import { activateMember } from "../services/accounts/activate-member.js";
import { signUpRoot } from "../services/accounts/sign-up.js";
import { verifyRootEmail } from "../services/accounts/verify-email.js";
import { type LogInResult, logIn } from "../services/auth/log-in.js";
import { recoverChallenge } from "../services/auth/recover-challenge.js";
import { resendChallengeCode } from "../services/auth/resend-code.js";
import { signOut } from "../services/auth/sign-out.js";
import { verifyChallenge } from "../services/auth/verify-challenge.js";
import {
  AccountId,
  ChallengeId,
  Code,
  Email,
  ErrorResponse,
  errorResponses,
  jsonBody,
  jsonResponse,
  keyMissingResponses,
  NewPassword,
  Password,
  passwordHashResponses,
  RecoveryCode,
  SignInResult,
  Token,
} from "./schemas.js";

const tags = ["Sign-in and accounts"];
const Accepted = z.object({ status: z.literal("accepted") });
const Ok = z.object({ status: z.literal("ok") });
const challengeParams = z.object({ challengeId: ChallengeId });

const signUp = createRoute({
  method: "post",
  path: "/auth/root/signup",
  tags,
  summary: "Sign up a root user; mails a verification link (same answer whether or not the address is taken)",
  request: { body: jsonBody(z.strictObject({ email: Email, password: NewPassword })) },
  responses: { 202: jsonResponse(Accepted, "Mail sent"), ...errorResponses, ...passwordHashResponses },
});

const verifyEmail = createRoute({
  method: "post",
  path: "/auth/root/verify-email",
  tags,
  summary: "Verify a root user's email with the mailed token (24 hours) and the password chosen at sign-up",
  description:
    "Activates the pending sign-up of the link's address whose password is the one given, so a later sign-up by someone else cannot plant its password. A wrong password is charged like a sign-in attempt.",
  request: { body: jsonBody(z.strictObject({ token: Token, password: Password })) },
  responses: {
    200: jsonResponse(Ok, "Verified"),
    ...errorResponses,
    400: jsonResponse(
      ErrorResponse,
      "VALIDATION_FAILED; INVALID_TOKEN (unknown, used or expired link); INVALID_CREDENTIALS (not the password of a pending sign-up of this address)",
    ),
  },
});

const rootLogin = createRoute({
  method: "post",
  path: "/auth/root/login",
  tags,
  summary: "Root sign-in: a session, or a second-factor challenge (R2)",
  description:
    "Before the email is verified, the right password answers like a wrong one (401 INVALID_CREDENTIALS) and mails the verification link again.",
  request: { body: jsonBody(z.strictObject({ email: Email, password: Password })) },
  responses: {
    200: jsonResponse(SignInResult, "Signed in, or a code is required"),
    ...errorResponses,
    ...passwordHashResponses,
  },
});

const memberLogin = createRoute({
  method: "post",
  path: "/auth/member/login",
  tags,
  summary: "Team member sign-in with the account ID of the team",
  request: { body: jsonBody(z.strictObject({ accountId: AccountId, email: Email, password: Password })) },
  responses: {
    200: jsonResponse(SignInResult, "Signed in, or a code is required"),
    ...errorResponses,
    ...passwordHashResponses,
    403: jsonResponse(
      ErrorResponse,
      "TWO_FACTOR_LOCKED (hard cap): the right password, but the factor is locked; only the root user's Remove 2FA unlocks it",
    ),
  },
});

const verify = createRoute({
  method: "post",
  path: "/auth/challenges/{challengeId}/verify",
  tags,
  summary: "Enter the second-factor code of a sign-in challenge",
  request: { params: challengeParams, body: jsonBody(z.strictObject({ code: Code })) },
  responses: {
    200: jsonResponse(SignInResult, "Signed in"),
    410: jsonResponse(ErrorResponse, "CHALLENGE_EXPIRED"),
    ...errorResponses,
    403: jsonResponse(
      ErrorResponse,
      "TWO_FACTOR_LOCKED (hard cap): 100 wrong codes in a row locked the factor; no code is checked, no Retry-After",
    ),
    ...keyMissingResponses,
  },
});

const recover = createRoute({
  method: "post",
  path: "/auth/challenges/{challengeId}/recovery",
  tags,
  summary:
    "Sign in with a single-use recovery code instead of the challenge's code (S3 charged; 2FA stays on)",
  request: { params: challengeParams, body: jsonBody(z.strictObject({ code: RecoveryCode })) },
  responses: {
    200: jsonResponse(SignInResult, "Signed in"),
    410: jsonResponse(ErrorResponse, "CHALLENGE_EXPIRED"),
    ...errorResponses,
    403: jsonResponse(
      ErrorResponse,
      "TWO_FACTOR_LOCKED (hard cap): a member's locked factor is not unlocked by a recovery code (a root user's is)",
    ),
  },
});

const resend = createRoute({
  method: "post",
  path: "/auth/challenges/{challengeId}/resend",
  tags,
  summary: "Mail a new sign-in code (email method; once a minute, 5 per 15 minutes)",
  request: { params: challengeParams },
  responses: { 202: jsonResponse(Accepted, "Mail sent"), ...errorResponses },
});

const activate = createRoute({
  method: "post",
  path: "/auth/member/activate",
  tags,
  summary:
    "Activate an invited member with the invitation token (7 days, single use) and a password of its own",
  description:
    "§6.2: `initialPassword` is the one the inviter chose; `newPassword` is the member's own (password rules; it must differ from the initial one) and from then on the only one that works. A wrong initial password is charged like a sign-in attempt and leaves the link usable. Signs nobody in.",
  request: {
    body: jsonBody(z.strictObject({ token: Token, initialPassword: Password, newPassword: NewPassword })),
  },
  responses: {
    200: jsonResponse(
      z.object({ status: z.literal("ok"), accountId: z.string(), email: z.string() }),
      "Active",
    ),
    ...errorResponses,
    400: jsonResponse(
      ErrorResponse,
      "VALIDATION_FAILED; INVALID_TOKEN (unknown, used or expired link); INVALID_CREDENTIALS (not the initial password); WEAK_PASSWORD (field newPassword, with a reason)",
    ),
    ...passwordHashResponses,
  },
});

const logout = createRoute({
  method: "post",
  path: "/auth/logout",
  tags,
  summary: "Sign out: the session is revoked server-side (audited as session.signed_out)",
  responses: { 204: { description: "Signed out" } },
});

function signedIn(result: LogInResult) {
  return result.status === "authenticated"
    ? {
        status: "authenticated" as const,
        userId: result.userId,
        ...(result.enrolmentRequired && { enrolmentRequired: true as const }),
      }
    : {
        status: "two_factor_required" as const,
        challengeId: result.challengeId,
        method: result.method,
        ...(result.isLocked && { isLocked: true as const }),
      };
}

export const authRoutes = createRouter()
  .openapi(signUp, async (c) => {
    await signUpRoot({ deps: c.get("deps"), input: c.req.valid("json"), meta: c.get("meta") });
    return c.json({ status: "accepted" as const }, 202);
  })
  .openapi(verifyEmail, async (c) => {
    await verifyRootEmail({ deps: c.get("deps"), input: c.req.valid("json"), meta: c.get("meta") });
    return c.json({ status: "ok" as const }, 200);
  })
  .openapi(rootLogin, async (c) => {
    const deps = c.get("deps");
    const result = await logIn({
      deps,
      input: { kind: "root", ...c.req.valid("json") },
      meta: c.get("meta"),
    });
    if (result.status === "authenticated") writeSessionCookie(c, deps.settings, result.token);
    return c.json(signedIn(result), 200);
  })
  .openapi(memberLogin, async (c) => {
    const deps = c.get("deps");
    const result = await logIn({
      deps,
      input: { kind: "member", ...c.req.valid("json") },
      meta: c.get("meta"),
    });
    if (result.status === "authenticated") writeSessionCookie(c, deps.settings, result.token);
    return c.json(signedIn(result), 200);
  })
  .openapi(verify, async (c) => {
    const deps = c.get("deps");
    const input = { ...c.req.valid("param"), ...c.req.valid("json") };
    const result = await verifyChallenge({ deps, input, meta: c.get("meta") });
    writeSessionCookie(c, deps.settings, result.token);
    return c.json({ status: "authenticated" as const, userId: result.userId }, 200);
  })
  .openapi(recover, async (c) => {
    const deps = c.get("deps");
    const input = { ...c.req.valid("param"), ...c.req.valid("json") };
    const result = await recoverChallenge({ deps, input, meta: c.get("meta") });
    writeSessionCookie(c, deps.settings, result.token);
    return c.json({ status: "authenticated" as const, userId: result.userId }, 200);
  })
  .openapi(resend, async (c) => {
    await resendChallengeCode({ deps: c.get("deps"), input: c.req.valid("param"), meta: c.get("meta") });
    return c.json({ status: "accepted" as const }, 202);
  })
  .openapi(activate, async (c) => {
    const result = await activateMember({
      deps: c.get("deps"),
      input: c.req.valid("json"),
      meta: c.get("meta"),
    });
    return c.json({ status: "ok" as const, ...result }, 200);
  })
  .openapi(logout, async (c) => {
    const deps = c.get("deps");
    const auth = await loadSession(c);
    if (auth) await signOut({ deps, auth, meta: c.get("meta") });
    clearSessionCookie(c, deps.settings);
    return c.body(null, 204);
  });
