import { createRoute, z } from "@hono/zod-openapi";
import { requireSessionDuringAnyHold, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { changePassword } from "../services/accounts/change-password.js";
import {
  ErrorResponse,
  errorResponses,
  jsonBody,
  jsonResponse,
  NewPassword,
  Password,
  passwordHashResponses,
} from "./schemas.js";

const ChangePasswordBody = z.strictObject({ currentPassword: Password, newPassword: NewPassword });

const change = createRoute({
  method: "post",
  path: "/me/password",
  tags: ["Own account"],
  security: [{ session: [] }],
  summary: "Change your password (§6.2): other sessions are signed out, this one is kept",
  description:
    "Needs the current password (a wrong one is charged on the sign-in budget, S3) and, when 2FA is on, a code entered in this session in the last 10 minutes (POST /api/me/step-up). The new password follows the password rules and must differ from the current one. Ends every other session and open sign-in of the user, mails a notice, audited `account.password_changed`. Open to a member that must change its password (PASSWORD_CHANGE_REQUIRED), and ends that hold.",
  middleware: requireSessionDuringAnyHold,
  request: { body: jsonBody(ChangePasswordBody) },
  responses: {
    204: { description: "Changed" },
    ...errorResponses,
    400: jsonResponse(
      ErrorResponse,
      "VALIDATION_FAILED; INVALID_CREDENTIALS (the current password is wrong); WEAK_PASSWORD (field newPassword, with a reason; same_as_current when it is the current one)",
    ),
    403: jsonResponse(
      ErrorResponse,
      "STEP_UP_REQUIRED: 2FA is on and no code was entered in this session in the last 10 minutes (POST /api/me/step-up, then retry)",
    ),
    ...passwordHashResponses,
  },
});

export const passwordRoutes = createRouter().openapi(change, async (c) => {
  const input = { auth: sessionOf(c), ...c.req.valid("json") };
  await changePassword({ deps: c.get("deps"), input, meta: c.get("meta") });
  return c.body(null, 204);
});
