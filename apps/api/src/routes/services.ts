import { MAX_INTROSPECTED_TOKEN_LENGTH, MAX_SERVICE_CREDENTIAL_NAME_LENGTH } from "@cloud2fa/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { requireSession, sessionOf } from "../http/authenticate.js";
import type { AppEnv } from "../http/env.js";
import { AppError } from "../http/errors.js";
import { createRouter } from "../http/router.js";
import { introspectSession } from "../services/introspection/introspect-session.js";
import { authenticateServiceCredential } from "../services/service-credentials/authenticate.js";
import {
  createServiceCredential,
  listServiceCredentials,
  revokeServiceCredential,
} from "../services/service-credentials/manage.js";
import { stepUpStateOf } from "../services/step-up/require-step-up.js";
import { ErrorResponse, errorResponses, FreeText, jsonBody, jsonResponse } from "./schemas.js";
import { stepUpResponses } from "./step-up-responses.js";

const tags = ["Services"];
const security = [{ session: [] }];

const CredentialId = z
  .string()
  .regex(/^svc_[A-Za-z0-9_-]{22}$/, "expected a svc_ id")
  .openapi({ example: "svc_3q2Z8kQe1yV0p7nX4m5w6A" });
const CredentialName = FreeText.trim()
  .min(1)
  .max(MAX_SERVICE_CREDENTIAL_NAME_LENGTH)
  .openapi({ example: "deployments" });
const ServiceCredential = z
  .object({
    id: CredentialId,
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable().describe("The last introspection with it (to the minute)"),
  })
  .openapi("ServiceCredential");
const NewServiceCredential = z
  .object({
    id: CredentialId,
    name: z.string(),
    createdAt: z.iso.datetime(),
    secret: z.string().describe("Shown only in this answer: send it as `Authorization: Bearer <secret>`"),
  })
  .openapi("NewServiceCredential");

const Introspection = z
  .object({
    active: z.boolean(),
    userId: z.string().optional(),
    accountId: z.string().optional(),
    kind: z.enum(["root", "member"]).optional(),
    roles: z.array(z.string()).optional(),
    sso: z.boolean().optional(),
    twoFactorEnabled: z.boolean().optional(),
    secondFactorPassed: z
      .boolean()
      .optional()
      .describe("The sign-in that opened this session passed a second factor (a code or a recovery code)"),
    steppedUpUntil: z.iso
      .datetime()
      .nullable()
      .optional()
      .describe("Until when a code entered in this session opens sensitive actions (null: none was)"),
    enrolmentRequired: z.boolean().optional(),
    passwordChangeRequired: z.boolean().optional(),
    expiresAt: z.iso.datetime().optional(),
  })
  .describe("RFC 7662 style: `{active: false}` for any token that opens nothing to this credential")
  .openapi("Introspection");

const toView = (credential: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null }) => ({
  id: credential.id,
  name: credential.name,
  createdAt: credential.createdAt.toISOString(),
  lastUsedAt: credential.lastUsedAt?.toISOString() ?? null,
});

/** §8.2: `Authorization: Bearer <service secret>` of a live credential, or 401 before the body is read. */
const requireServiceCredential = createMiddleware<AppEnv>(async (c, next) => {
  const secret = /^Bearer ([A-Za-z0-9_-]{1,256})$/.exec(c.req.header("authorization") ?? "")?.[1];
  const caller = secret ? await authenticateServiceCredential(c.get("deps"), secret) : null;
  if (!caller) {
    c.header("WWW-Authenticate", 'Bearer realm="cloud2fa"');
    throw new AppError("UNAUTHENTICATED", { message: "A valid service credential is required." });
  }
  c.set("service", caller);
  await next();
});

const create = createRoute({
  method: "post",
  path: "/team/service-credentials",
  tags,
  security,
  middleware: requireSession,
  summary: "Create a service credential: the root user only (step-up); its secret is shown once",
  request: { body: jsonBody(z.strictObject({ name: CredentialName })) },
  responses: {
    201: jsonResponse(NewServiceCredential, "Created; the secret is never shown again"),
    ...errorResponses,
    ...stepUpResponses,
  },
});

const list = createRoute({
  method: "get",
  path: "/team/service-credentials",
  tags,
  security,
  middleware: requireSession,
  summary: "The team's service credentials, without secrets (root user only)",
  responses: {
    200: jsonResponse(z.object({ credentials: z.array(ServiceCredential) }), "The credentials"),
    ...errorResponses,
  },
});

const revoke = createRoute({
  method: "delete",
  path: "/team/service-credentials/{id}",
  tags,
  security,
  middleware: requireSession,
  summary: "Revoke a service credential at once (root user only, step-up)",
  request: { params: z.object({ id: CredentialId }) },
  responses: {
    204: { description: "Revoked: the next introspection with it is 401" },
    404: jsonResponse(ErrorResponse, "NOT_FOUND"),
    ...errorResponses,
    ...stepUpResponses,
  },
});

const introspect = createRoute({
  method: "post",
  path: "/introspect",
  tags,
  security: [{ serviceCredential: [] }],
  middleware: requireServiceCredential,
  summary: "Introspect a session token for another service (RFC 7662 style, §8.2)",
  description:
    "Authenticated by `Authorization: Bearer <service secret>` (401 otherwise). Only sessions of the credential's own account are active to it. Rate-limited per credential (429 with Retry-After). Never a token's hash or any secret.",
  request: {
    body: jsonBody(
      z.strictObject({
        token: z
          .string()
          .min(1)
          .max(MAX_INTROSPECTED_TOKEN_LENGTH)
          .describe("The session token (cookie value)"),
      }),
    ),
  },
  responses: {
    200: jsonResponse(Introspection, "Active, with the session's facts, or `{active: false}`"),
    400: jsonResponse(ErrorResponse, "VALIDATION_FAILED"),
    401: jsonResponse(ErrorResponse, "UNAUTHENTICATED: no valid service credential"),
    429: jsonResponse(ErrorResponse, "TOO_MANY_ATTEMPTS, with Retry-After"),
  },
});

export const serviceRoutes = createRouter()
  .openapi(create, async (c) => {
    const auth = sessionOf(c);
    const created = await createServiceCredential({
      deps: c.get("deps"),
      input: { actor: auth.row, name: c.req.valid("json").name, stepUp: stepUpStateOf(auth) },
      meta: c.get("meta"),
    });
    return c.json(
      {
        id: created.id,
        name: created.name,
        secret: created.secret,
        createdAt: created.createdAt.toISOString(),
      },
      201,
    );
  })
  .openapi(list, async (c) => {
    const credentials = await listServiceCredentials(c.get("deps"), { actor: sessionOf(c).row });
    return c.json({ credentials: credentials.map(toView) }, 200);
  })
  .openapi(revoke, async (c) => {
    const auth = sessionOf(c);
    await revokeServiceCredential({
      deps: c.get("deps"),
      input: { actor: auth.row, credentialId: c.req.valid("param").id, stepUp: stepUpStateOf(auth) },
      meta: c.get("meta"),
    });
    return c.body(null, 204);
  })
  .openapi(introspect, async (c) => {
    const caller = c.get("service");
    if (!caller) throw new AppError("UNAUTHENTICATED");
    const answer = await introspectSession(c.get("deps"), { caller, token: c.req.valid("json").token });
    return c.json(answer, 200);
  });
