import { createRoute, z } from "@hono/zod-openapi";
import { requireSession, sessionOf } from "../http/authenticate.js";
import { createRouter } from "../http/router.js";
import { clearSessionCookie } from "../http/session-cookie.js";
import { listSessions } from "../services/sessions/list-sessions.js";
import { revokeOtherSessions, revokeOwnSession } from "../services/sessions/revoke-own-sessions.js";
import { signOutMember } from "../services/sessions/sign-out-member.js";
import { stepUpStateOf } from "../services/step-up/require-step-up.js";
import { ErrorResponse, errorResponses, jsonResponse, MemberId } from "./schemas.js";
import { memberChangeResponses } from "./step-up-responses.js";

// §6.5 Sessions: where the user is signed in, ending them, and signing a member out everywhere.

const security = [{ session: [] }];
const middleware = requireSession;
const notFound = { 404: jsonResponse(ErrorResponse, "NOT_FOUND") };

const SessionId = z
  .string()
  .regex(/^ses_[A-Za-z0-9_-]{22}$/, "expected a ses_ id")
  .openapi({ example: "ses_3q2Z8kQe1yV0p7nX4m5w6A" });

const Session = z
  .object({
    id: SessionId,
    current: z.boolean().describe("The session of this request"),
    createdAt: z.string().describe("When it was signed in"),
    lastSeenAt: z.string().describe("When it was last used (to the minute)"),
    clientAddress: z.string().nullable().describe("The client address it was signed in from"),
    browser: z.string().nullable().describe("From the User-Agent it was signed in with; null if unknown"),
    os: z.string().nullable().describe("From the User-Agent it was signed in with; null if unknown"),
  })
  .describe("A live session: never its token nor the token's hash")
  .openapi("Session");

const list = createRoute({
  method: "get",
  path: "/me/sessions",
  tags: ["Own sessions"],
  security,
  middleware,
  summary: "Where you are signed in: your live sessions, newest first (§6.5)",
  responses: {
    200: jsonResponse(z.object({ sessions: z.array(Session) }), "The live sessions of the signed-in user"),
    ...errorResponses,
  },
});

const revokeOne = createRoute({
  method: "delete",
  path: "/me/sessions/{id}",
  tags: ["Own sessions"],
  security,
  middleware,
  summary: "End one of your live sessions (audited session.revoked)",
  description:
    "Ending the session of this request signs this browser out (the cookie is cleared). Another user's session, an unknown or an already ended one: 404 `NOT_FOUND`, nothing changes.",
  request: { params: z.object({ id: SessionId }) },
  responses: { 204: { description: "Ended" }, ...notFound, ...errorResponses },
});

const revokeOthers = createRoute({
  method: "delete",
  path: "/me/sessions",
  tags: ["Own sessions"],
  security,
  middleware,
  summary: "End all your sessions but this one (audited session.revoked with how many)",
  responses: { 204: { description: "Every other session ended" }, ...errorResponses },
});

const signOutEverywhere = createRoute({
  method: "delete",
  path: "/team/members/{id}/sessions",
  tags: ["Team"],
  security,
  middleware,
  summary: "Sign a member out everywhere: its sessions and open sign-ins end; the member is mailed (§6.5)",
  description:
    "The root user and administrators; never oneself (403 `CANNOT_CHANGE_OWN_MEMBERSHIP`). Step-up: needs a code entered within 10 minutes (403 `STEP_UP_REQUIRED`). A pending member has never signed in: 409 `ACCOUNT_NOT_ACTIVE`, nothing is mailed. Audited `session.revoked`.",
  request: { params: z.object({ id: MemberId }) },
  responses: {
    204: { description: "Signed out everywhere" },
    ...notFound,
    ...errorResponses,
    ...memberChangeResponses,
  },
});

export const sessionRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json({ sessions: await listSessions({ deps: c.get("deps"), auth: sessionOf(c) }) }, 200);
  })
  .openapi(revokeOne, async (c) => {
    const deps = c.get("deps");
    const { isCurrent } = await revokeOwnSession({
      deps,
      auth: sessionOf(c),
      sessionId: c.req.valid("param").id,
      meta: c.get("meta"),
    });
    if (isCurrent) clearSessionCookie(c, deps.settings);
    return c.body(null, 204);
  })
  .openapi(revokeOthers, async (c) => {
    await revokeOtherSessions({ deps: c.get("deps"), auth: sessionOf(c), meta: c.get("meta") });
    return c.body(null, 204);
  })
  .openapi(signOutEverywhere, async (c) => {
    await signOutMember({
      deps: c.get("deps"),
      actor: sessionOf(c).user,
      memberId: c.req.valid("param").id,
      stepUp: stepUpStateOf(sessionOf(c)),
      meta: c.get("meta"),
    });
    return c.body(null, 204);
  });
