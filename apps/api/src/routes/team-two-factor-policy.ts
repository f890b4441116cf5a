import { createRoute, z } from "@hono/zod-openapi";
import { requireSession, requireSessionDuringEnrolment, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { stepUpStateOf } from "../services/step-up/require-step-up.js";
import {
  readMemberTwoFactorPolicy,
  updateMemberTwoFactorPolicy,
} from "../services/team/two-factor-policy.js";
import { errorResponses, Instant, jsonBody, jsonResponse } from "./schemas.js";
import { stepUpResponses } from "./step-up-responses.js";

const tags = ["Team"];
const security = [{ session: [] }];

const MemberTwoFactorPolicy = z
  .object({
    requireMemberTwoFactor: z
      .boolean()
      .describe(
        "Members must use 2FA: from the deadline on, a member without it (SSO members exempt) signs in to a session that opens only the 2FA setup",
      ),
    memberTwoFactorDeadline: z
      .string()
      .nullable()
      .describe(
        "When the requirement takes effect (ISO 8601); null: at once. Before it, members are in grace",
      ),
  })
  .openapi("MemberTwoFactorPolicy");

const PolicyPatch = z
  .strictObject({
    requireMemberTwoFactor: z.boolean().optional(),
    memberTwoFactorDeadline: Instant.nullable()
      .optional()
      .describe("A deadline in the past enforces the requirement at once; null removes the deadline"),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), "expected at least one field");

const path = "/team/settings/two-factor-policy";

const read = createRoute({
  method: "get",
  path,
  tags,
  security,
  middleware: requireSessionDuringEnrolment,
  summary: "Require 2FA for members: the team policy (any signed-in user of the team)",
  responses: { 200: jsonResponse(MemberTwoFactorPolicy, "The policy"), ...errorResponses },
});

const update = createRoute({
  method: "patch",
  path,
  tags,
  security,
  middleware: requireSession,
  summary:
    "Change the policy (any subset of its fields): the root user only, after a step-up; audited as team.settings_changed",
  request: { body: jsonBody(PolicyPatch) },
  responses: { 200: jsonResponse(MemberTwoFactorPolicy, "Updated"), ...errorResponses, ...stepUpResponses },
});

export const teamTwoFactorPolicyRoutes = createRouter()
  .openapi(read, async (c) =>
    c.json(await readMemberTwoFactorPolicy(c.get("deps"), sessionOf(c).row.accountId), 200),
  )
  .openapi(update, async (c) => {
    const policy = await updateMemberTwoFactorPolicy({
      deps: c.get("deps"),
      input: { actor: sessionOf(c).row, policy: c.req.valid("json"), stepUp: stepUpStateOf(sessionOf(c)) },
      meta: c.get("meta"),
    });
    return c.json(policy, 200);
  });
