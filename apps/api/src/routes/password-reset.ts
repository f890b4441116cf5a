import { PASSWORD_RESET_TTL_IN_SECONDS } from "@cloud2fa/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../http/router.js";
import { confirmPasswordReset } from "../services/accounts/confirm-password-reset.js";
import { requestPasswordReset } from "../services/accounts/request-password-reset.js";
import {
  AccountId,
  Email,
  ErrorResponse,
  jsonBody,
  jsonResponse,
  NewPassword,
  passwordHashResponses,
  Token,
} from "./schemas.js";

const tags = ["Sign-in and accounts"];
const Accepted = z.object({ status: z.literal("accepted") });

const PasswordResetRequest = z.strictObject({
  accountId: AccountId.optional().openapi({ description: "A team member's team; left out for a root user" }),
  email: Email,
});

const request = createRoute({
  method: "post",
  path: "/auth/password-reset",
  tags,
  summary: "Forgot password: mail a reset link (same answer for every address)",
  description: `Always 202 with the same body, whether or not the address belongs to a verified root user or an active member that signs in with a password; only those get a mail, with a link that works once for ${PASSWORD_RESET_TTL_IN_SECONDS / 60} minutes (a newer link ends the older ones). Throttled per account named and per client address, known or not.`,
  request: { body: jsonBody(PasswordResetRequest) },
  responses: {
    202: jsonResponse(Accepted, "Accepted; a link is mailed if the account exists"),
    400: jsonResponse(ErrorResponse, "VALIDATION_FAILED"),
    429: jsonResponse(ErrorResponse, "TOO_MANY_ATTEMPTS, with Retry-After"),
  },
});

const confirm = createRoute({
  method: "post",
  path: "/auth/password-reset/confirm",
  tags,
  summary: "Set a new password with a mailed reset link; signs every session out and nobody in",
  description:
    "Ends every session and open sign-in challenge of the user, mails a notice and audits account.password_reset. Two-factor authentication is left as it is: the next sign-in asks for the new password, then the code.",
  request: { body: jsonBody(z.strictObject({ token: Token, password: NewPassword })) },
  responses: {
    204: { description: "Password changed; no session is opened" },
    400: jsonResponse(
      ErrorResponse,
      "VALIDATION_FAILED; INVALID_TOKEN (unknown, used, expired or superseded link); WEAK_PASSWORD (the link still works)",
    ),
    ...passwordHashResponses,
  },
});

export const passwordResetRoutes = createRouter()
  .openapi(request, async (c) => {
    await requestPasswordReset({ deps: c.get("deps"), input: c.req.valid("json"), meta: c.get("meta") });
    return c.json({ status: "accepted" as const }, 202);
  })
  .openapi(confirm, async (c) => {
    await confirmPasswordReset({ deps: c.get("deps"), input: c.req.valid("json"), meta: c.get("meta") });
    return c.body(null, 204);
  });
