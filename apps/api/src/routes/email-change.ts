import { createRoute, z } from "@hono/zod-openapi";
import { requireSession, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { confirmEmailChange } from "../services/accounts/confirm-email-change.js";
import { requestEmailChange } from "../services/accounts/request-email-change.js";
import {
  Email,
  ErrorResponse,
  errorResponses,
  jsonBody,
  jsonResponse,
  Password,
  passwordHashResponses,
  Token,
} from "./schemas.js";

// §6.4 Root email change: a link to the new address confirms it; the old address is told before and after.

const tags = ["Account"];

const request = createRoute({
  method: "post",
  path: "/me/email",
  tags,
  security: [{ session: [] }],
  summary: "Ask to sign in with another address (root user): a link to the new address confirms it",
  description:
    "Root users only (403 `FORBIDDEN` for a member: its address belongs to its team). The password is checked again (wrong: 400 `INVALID_CREDENTIALS`, charged on the sign-in budget, S3); with 2FA on, a step-up in the last 10 minutes is required (403 `STEP_UP_REQUIRED`). The same address as now: 400 `VALIDATION_FAILED`. Mails a link `PUBLIC_URL/confirm-email?token=…` (24 hours, once) to the new address and a notice to the current one; a newer request voids the older link. An address another account signs in with gets the same 202 and no link (S6). Until the link is opened, sign-in uses the current address.",
  middleware: requireSession,
  request: { body: jsonBody(z.strictObject({ newEmail: Email, password: Password })) },
  responses: {
    202: jsonResponse(z.object({ status: z.literal("accepted") }), "Accepted: the link is on its way"),
    ...errorResponses,
    400: jsonResponse(
      ErrorResponse,
      "VALIDATION_FAILED (also: the address is already yours) or INVALID_CREDENTIALS (the password)",
    ),
    403: jsonResponse(
      ErrorResponse,
      "FORBIDDEN (a member), or STEP_UP_REQUIRED (POST /api/me/step-up, then retry)",
    ),
    ...passwordHashResponses,
  },
});

const confirm = createRoute({
  method: "post",
  path: "/me/email/confirm",
  tags,
  summary: "Confirm a new sign-in address with the token of its link (no session needed)",
  description:
    "The token alone proves the new mailbox, so the link works in any browser, signed in or not. Single use, 24 hours; an unknown, used, expired or superseded token, or one asked with a password changed since, is 400 `INVALID_TOKEN`. 409 `EMAIL_TAKEN` when the address began to sign in to another account meanwhile (nothing changes). Mails both addresses; audited `account.email_changed`. Sessions stay open.",
  request: { body: jsonBody(z.strictObject({ token: Token })) },
  responses: {
    200: jsonResponse(z.object({ email: z.string() }), "The account now signs in with this address"),
    ...errorResponses,
    400: jsonResponse(ErrorResponse, "VALIDATION_FAILED or INVALID_TOKEN"),
    409: jsonResponse(ErrorResponse, "EMAIL_TAKEN: another account signs in with this address"),
  },
});

export const emailChangeRoutes = createRouter()
  .openapi(request, async (c) => {
    const input = { auth: sessionOf(c), ...c.req.valid("json") };
    await requestEmailChange({ deps: c.get("deps"), input, meta: c.get("meta") });
    return c.json({ status: "accepted" as const }, 202);
  })
  .openapi(confirm, async (c) => {
    const result = await confirmEmailChange({
      deps: c.get("deps"),
      input: c.req.valid("json"),
      meta: c.get("meta"),
    });
    return c.json(result, 200);
  });
