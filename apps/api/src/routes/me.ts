import { createRoute, z } from "@hono/zod-openapi";
import {
  loadSession,
  requireSession,
  requireSessionDuringAnyHold,
  requireSessionDuringEnrolment,
  sessionOf,
} from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import type { SessionUser } from "../services/auth/sessions.js";
import { stepUp } from "../services/step-up/step-up.js";
import { confirmSetup } from "../services/two-factor/confirm-setup.js";
import { regenerateRecoveryCodes } from "../services/two-factor/regenerate-recovery-codes.js";
import { removeOwnTwoFactor } from "../services/two-factor/remove-own.js";
import { sendActionCode } from "../services/two-factor/send-action-code.js";
import { startSetup } from "../services/two-factor/start-setup.js";
import { twoFactorSummary } from "../services/users.js";
import {
  Code,
  errorResponses,
  jsonBody,
  jsonResponse,
  keyMissingResponses,
  Me,
  Method,
  Password,
  passwordHashResponses,
  RecoveryCodes,
} from "./schemas.js";

const tags = ["Own two-factor authentication"];
const security = [{ session: [] }];

const SetupStarted = z
  .discriminatedUnion("method", [
    z.object({
      method: z.literal("totp"),
      secret: z.string(),
      otpauthUri: z.string(),
      qrCode: z.string().describe("SVG data URL of the otpauth URI"),
      expiresAt: z.string(),
    }),
    z.object({ method: z.literal("email"), maskedEmail: z.string(), expiresAt: z.string() }),
  ])
  .openapi("SetupStarted");

const me = createRoute({
  method: "get",
  path: "/me",
  tags,
  security,
  summary: "The signed-in user (never a secret, S4)",
  middleware: requireSessionDuringAnyHold,
  responses: { 200: jsonResponse(Me, "The signed-in user"), ...errorResponses },
});

const session = createRoute({
  method: "get",
  path: "/session",
  tags,
  summary:
    "Whether this browser is signed in: the signed-in user, or null. 200 either way, so that a page loaded while signed out asks without a 401",
  responses: {
    200: jsonResponse(z.object({ me: Me.nullable() }), "The signed-in user, or null without a session"),
    ...errorResponses,
  },
});

/** GET /me's body, also the answer of GET /session. */
function meBody({ user, row, enabled, policy, enrolment, isPasswordChangeOwed }: SessionUser) {
  return {
    kind: user.kind,
    id: row.id,
    email: row.email,
    accountId: row.accountId,
    roles: user.kind === "member" ? [...user.roles] : [],
    status: row.status,
    sso: row.isSso,
    twoFactor: twoFactorSummary(enabled),
    twoFactorPolicy: {
      required: policy.required,
      deadline: policy.deadline?.toISOString() ?? null,
      enrolment: enrolment.state,
      daysLeft: enrolment.state === "grace" ? enrolment.daysLeft : null,
    },
    passwordChangeRequired: isPasswordChangeOwed,
  };
}

const setup = createRoute({
  method: "post",
  path: "/me/two-factor/setup",
  tags,
  security,
  summary:
    "Start a 2FA setup (R1, R3, R6, R7; R11: password again, throttled per user and address and counted at sign-in when wrong, S3). Replaces a pending setup.",
  middleware: requireSessionDuringEnrolment,
  request: { body: jsonBody(z.strictObject({ method: Method, password: Password })) },
  responses: {
    200: jsonResponse(SetupStarted, "Setup pending for 10 minutes"),
    ...errorResponses,
    ...passwordHashResponses,
  },
});

const confirm = createRoute({
  method: "post",
  path: "/me/two-factor/setup/confirm",
  tags,
  security,
  summary: "Confirm the pending setup with a code of its method (R8); revokes other sessions",
  middleware: requireSessionDuringEnrolment,
  request: { body: jsonBody(z.strictObject({ code: Code })) },
  responses: {
    200: jsonResponse(
      z.object({ twoFactor: Me.shape.twoFactor, recoveryCodes: RecoveryCodes.optional() }),
      "2FA enabled; the recovery codes (root user, or a member when the team allows them) appear here only",
    ),
    ...errorResponses,
    ...keyMissingResponses,
  },
});

const actionCode = createRoute({
  method: "post",
  path: "/me/two-factor/code",
  tags,
  security,
  summary: "Mail a code to confirm a sensitive action (email method)",
  middleware: requireSession,
  responses: {
    202: jsonResponse(z.object({ status: z.literal("accepted") }), "Mail sent"),
    ...errorResponses,
  },
});

const regenerate = createRoute({
  method: "post",
  path: "/me/two-factor/recovery-codes",
  tags,
  security,
  summary: "A new set of recovery codes with a valid code; the old set stops working",
  middleware: requireSession,
  request: { body: jsonBody(z.strictObject({ code: Code })) },
  responses: {
    200: jsonResponse(z.object({ recoveryCodes: RecoveryCodes }), "New codes"),
    ...errorResponses,
    ...keyMissingResponses,
  },
});

const removeOwn = createRoute({
  method: "delete",
  path: "/me/two-factor",
  tags,
  security,
  summary: "Remove your own 2FA with a current code: root user only (R10); a member never (R4)",
  middleware: requireSession,
  request: { body: jsonBody(z.strictObject({ code: Code })) },
  responses: { 204: { description: "Removed" }, ...errorResponses, ...keyMissingResponses },
});

const stepUpRoute = createRoute({
  method: "post",
  path: "/me/step-up",
  tags,
  security,
  summary: "Step-up: confirm it is you with a current code before a sensitive team action",
  description:
    "A code of your enabled factor (authenticator app, or for the email method the code mailed by `POST /api/me/two-factor/code`) opens the sensitive team actions (removing a member's 2FA, deleting or disabling a member, changing roles or SSO, the team settings) for this session for 10 minutes; until then they answer 403 `STEP_UP_REQUIRED`. The sign-in code and the setup confirmation count too. Charged like every code check (S3); a TOTP step is accepted once (S2). 404 `NOT_FOUND` for a user without 2FA (step-up does not apply to them).",
  middleware: requireSession,
  request: { body: jsonBody(z.strictObject({ code: Code })) },
  responses: {
    200: jsonResponse(
      z
        .object({
          steppedUpUntil: z
            .string()
            .describe("ISO 8601: sensitive actions need no new code in this session until then"),
        })
        .openapi("SteppedUp"),
      "Confirmed",
    ),
    ...keyMissingResponses,
    ...errorResponses,
  },
});

export const meRoutes = createRouter()
  .openapi(me, (c) => c.json(meBody(sessionOf(c)), 200))
  .openapi(session, async (c) => {
    const auth = await loadSession(c);
    return c.json({ me: auth ? meBody(auth) : null }, 200);
  })
  .openapi(setup, async (c) => {
    const input = { userId: sessionOf(c).user.id, ...c.req.valid("json") };
    return c.json(await startSetup({ deps: c.get("deps"), input, meta: c.get("meta") }), 200);
  })
  .openapi(confirm, async (c) => {
    const auth = sessionOf(c);
    const deps = c.get("deps");
    const input = { userId: auth.user.id, sessionId: auth.sessionId, ...c.req.valid("json") };
    const { twoFactor, recoveryCodes } = await confirmSetup({ deps, input, meta: c.get("meta") });
    return c.json(recoveryCodes ? { twoFactor, recoveryCodes } : { twoFactor }, 200);
  })
  .openapi(actionCode, async (c) => {
    await sendActionCode({
      deps: c.get("deps"),
      input: { userId: sessionOf(c).user.id },
      meta: c.get("meta"),
    });
    return c.json({ status: "accepted" as const }, 202);
  })
  .openapi(stepUpRoute, async (c) => {
    const auth = sessionOf(c);
    const input = { userId: auth.user.id, sessionId: auth.sessionId, ...c.req.valid("json") };
    const { steppedUpUntil } = await stepUp({ deps: c.get("deps"), input, meta: c.get("meta") });
    return c.json({ steppedUpUntil: steppedUpUntil.toISOString() }, 200);
  })
  .openapi(regenerate, async (c) => {
    const input = { userId: sessionOf(c).user.id, ...c.req.valid("json") };
    const recoveryCodes = await regenerateRecoveryCodes({ deps: c.get("deps"), input, meta: c.get("meta") });
    return c.json({ recoveryCodes }, 200);
  })
  .openapi(removeOwn, async (c) => {
    const input = { userId: sessionOf(c).user.id, ...c.req.valid("json") };
    await removeOwnTwoFactor({ deps: c.get("deps"), input, meta: c.get("meta") });
    return c.body(null, 204);
  });
