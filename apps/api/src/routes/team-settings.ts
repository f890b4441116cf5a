import { createRoute, z } from "@hono/zod-openapi";
import { requireSession, requireSessionDuringEnrolment, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { stepUpStateOf } from "../services/step-up/require-step-up.js";
import { readTeamSettings, updateTeamSettings } from "../services/team/settings.js";
import { errorResponses, jsonBody, jsonResponse } from "./schemas.js";
import { stepUpResponses } from "./step-up-responses.js";

const tags = ["Team"];
const security = [{ session: [] }];

const TeamSettings = z
  .object({
    allowMemberRecoveryCodes: z
      .boolean()
      .describe(
        "Members get recovery codes when they enable 2FA (off by default; the root user always does)",
      ),
  })
  .openapi("TeamSettings");

const read = createRoute({
  method: "get",
  path: "/team/settings",
  tags,
  security,
  middleware: requireSessionDuringEnrolment,
  summary: "The team's settings (any signed-in user of the team, also one who must enrol in 2FA first)",
  responses: { 200: jsonResponse(TeamSettings, "The settings"), ...errorResponses },
});

const update = createRoute({
  method: "patch",
  path: "/team/settings",
  tags,
  security,
  middleware: requireSession,
  summary: "Change the team's settings: the root user only (step-up: a code within 10 minutes)",
  request: {
    body: jsonBody(z.strictObject({ allowMemberRecoveryCodes: z.boolean() })),
  },
  responses: { 200: jsonResponse(TeamSettings, "Updated"), ...errorResponses, ...stepUpResponses },
});

export const teamSettingsRoutes = createRouter()
  .openapi(read, async (c) => c.json(await readTeamSettings(c.get("deps"), sessionOf(c).row.accountId), 200))
  .openapi(update, async (c) => {
    const settings = await updateTeamSettings({
      deps: c.get("deps"),
      input: { actor: sessionOf(c).row, settings: c.req.valid("json"), stepUp: stepUpStateOf(sessionOf(c)) },
      meta: c.get("meta"),
    });
    return c.json(settings, 200);
  });
