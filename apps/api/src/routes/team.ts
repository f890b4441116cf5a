import { createRoute, z } from "@hono/zod-openapi";
import { requireSession, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { stepUpStateOf } from "../services/step-up/require-step-up.js";
import { listMembersWithCompliance } from "../services/team/compliance.js";
import { deleteMember } from "../services/team/delete-member.js";
import { inviteMember } from "../services/team/invite-member.js";
import { removeMemberTwoFactor } from "../services/team/remove-member-two-factor.js";
import { updateMember } from "../services/team/update-member.js";
import {
  Email,
  ErrorResponse,
  errorResponses,
  jsonBody,
  jsonResponse,
  Member,
  MemberId,
  NewPassword,
  optionalJsonBody,
  passwordHashResponses,
  Remark,
  RemovalReason,
  Role,
} from "./schemas.js";
import { memberChangeResponses, stepUpResponses } from "./step-up-responses.js";

const tags = ["Team"];
const security = [{ session: [] }];
const middleware = requireSession;
const memberParams = z.object({ id: MemberId });
const TeamCompliance = z
  .object({
    total: z.number().int(),
    enabled: z.number().int().describe("Members with 2FA enabled"),
    notEnabled: z.number().int().describe("Members without 2FA who are not SSO accounts"),
    exempt: z.number().int().describe("SSO members (R6: SSO accounts cannot use 2FA)"),
    locked: z.number().int().describe("Enabled factors locked after too many failed codes"),
  })
  .describe("Require 2FA for members: the team's compliance, counted over the whole team")
  .openapi("TeamCompliance");
const notFound = { 404: jsonResponse(ErrorResponse, "NOT_FOUND") };

const list = createRoute({
  method: "get",
  path: "/team/members",
  tags,
  security,
  middleware,
  summary: "Team members with their 2FA status (root, administrators, auditors)",
  request: {
    query: z.strictObject({
      twoFactor: z
        .enum(["enabled", "not_enabled", "exempt"])
        .optional()
        .describe("Only members whose 2FA is enabled, not enabled (SSO members aside), or exempt (SSO)"),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ members: z.array(Member), compliance: TeamCompliance }),
      "The team (filtered) and its 2FA compliance (the whole team)",
    ),
    ...errorResponses,
  },
});

const invite = createRoute({
  method: "post",
  path: "/team/members",
  tags,
  security,
  middleware,
  summary: "Invite a member: mails the activation link and the team member sign-in address",
  description:
    "Step-up: inviting an Administrator needs a code entered within 10 minutes (403 `STEP_UP_REQUIRED`).",
  request: {
    body: jsonBody(
      z.strictObject({
        email: Email,
        password: NewPassword,
        roles: z.array(Role).min(1).max(5),
        remark: Remark.optional(),
      }),
    ),
  },
  responses: {
    201: jsonResponse(Member, "Invited (pending)"),
    ...errorResponses,
    ...stepUpResponses,
    ...passwordHashResponses,
  },
});

const update = createRoute({
  method: "patch",
  path: "/team/members/{id}",
  tags,
  security,
  middleware,
  summary: "Change a member's status, roles, SSO flag or remark",
  description:
    "Step-up: disabling a member, enabling again one whose roles may manage the team (an Administrator), changing its roles or its SSO flag need a code entered within 10 minutes (403 `STEP_UP_REQUIRED`); enabling another member and the remark do not.",
  request: {
    params: memberParams,
    body: jsonBody(
      z
        .strictObject({
          status: z.enum(["active", "disabled"]).optional(),
          roles: z.array(Role).min(1).max(5).optional(),
          sso: z.boolean().optional(),
          remark: Remark.optional(),
        })
        .refine(
          (body) => Object.values(body).some((value) => value !== undefined),
          "expected at least one field",
        ),
    ),
  },
  responses: {
    200: jsonResponse(Member, "Updated"),
    ...notFound,
    ...errorResponses,
    ...memberChangeResponses,
  },
});

const remove = createRoute({
  method: "delete",
  path: "/team/members/{id}",
  tags,
  security,
  middleware,
  summary: "Delete a member (final); its sessions end (step-up: a code within 10 minutes)",
  request: { params: memberParams },
  responses: { 204: { description: "Deleted" }, ...notFound, ...errorResponses, ...memberChangeResponses },
});

const removeTwoFactor = createRoute({
  method: "delete",
  path: "/team/members/{id}/two-factor",
  tags,
  security,
  middleware,
  summary: "Remove a member's 2FA: the root user only (R5, R9)",
  description:
    "The body is optional: `{ reason }` (trimmed, at most 500 characters) is mailed to the member and the root user and kept in the `two_factor.removed` audit event. Step-up: needs a code entered within 10 minutes (403 `STEP_UP_REQUIRED`).",
  request: {
    params: memberParams,
    body: optionalJsonBody(z.strictObject({ reason: RemovalReason.optional() })),
  },
  responses: { 204: { description: "Removed" }, ...notFound, ...errorResponses, ...stepUpResponses },
});

function actorOf(c: Parameters<typeof sessionOf>[0]) {
  return sessionOf(c).user;
}

export const teamRoutes = createRouter()
  .openapi(list, async (c) => {
    const filter = c.req.valid("query").twoFactor ?? "all";
    return c.json(await listMembersWithCompliance({ deps: c.get("deps"), actor: actorOf(c), filter }), 200);
  })
  .openapi(invite, async (c) => {
    const member = await inviteMember({
      deps: c.get("deps"),
      actor: actorOf(c),
      input: c.req.valid("json"),
      stepUp: stepUpStateOf(sessionOf(c)),
      meta: c.get("meta"),
    });
    return c.json(member, 201);
  })
  .openapi(update, async (c) => {
    const memberId = c.req.valid("param").id;
    const input = c.req.valid("json");
    return c.json(
      await updateMember({
        deps: c.get("deps"),
        actor: actorOf(c),
        memberId,
        input,
        stepUp: stepUpStateOf(sessionOf(c)),
        meta: c.get("meta"),
      }),
      200,
    );
  })
  .openapi(remove, async (c) => {
    await deleteMember({
      deps: c.get("deps"),
      actor: actorOf(c),
      memberId: c.req.valid("param").id,
      stepUp: stepUpStateOf(sessionOf(c)),
      meta: c.get("meta"),
    });
    return c.body(null, 204);
  })
  .openapi(removeTwoFactor, async (c) => {
    const memberId = c.req.valid("param").id;
    const { reason } = c.req.valid("json");
    await removeMemberTwoFactor({
      deps: c.get("deps"),
      actor: actorOf(c),
      memberId,
      reason,
      stepUp: stepUpStateOf(sessionOf(c)),
      meta: c.get("meta"),
    });
    return c.body(null, 204);
  });
