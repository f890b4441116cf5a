import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import * as schema from "./db/schema/index.js";
import {
  type ApiResponse,
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();
const NEW_PASSWORD = "a password of my very own";

interface Scene {
  root: Awaited<ReturnType<typeof createRoot>>;
  memberId: string;
  challengeId: string;
  /** §8.2: a live service credential of the root's team. */
  serviceSecret: string;
  credentialId: string;
}

interface BadCase {
  label: string;
  path?: string;
  rawBody?: string;
  contentType?: string | null;
  cookie?: string;
  /** §8.2: an Authorization header in place of the scene's service credential. */
  authorization?: string;
  status: number;
  code: string;
  /** WEAK_PASSWORD: the body field the refusal names. */
  field?: string;
}

interface Endpoint {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: (scene: Scene) => string;
  isSignedIn: boolean;
  /** Sign-out answers 204 to any cookie (it only ends a session that exists). */
  isSessionOptional?: boolean;
  /** A body that would be accepted (and change something): every bad variant of it must change nothing. */
  valid?: (scene: Scene) => Record<string, unknown>;
  required?: string[];
  /** The body may be left out and `{}` is a valid body: "missing every field" is no bad case. */
  isBodyOptional?: boolean;
  /** Values of the right JSON type that break a field's format. */
  badValues?: Record<string, unknown[]>;
  /** §6.3: new passwords that are well-formed text but refused by the password rules (400 WEAK_PASSWORD). */
  weakValues?: Record<string, unknown[]>;
  badPaths?: (scene: Scene) => string[];
  /** No body, parameter or query, and any cookie is an answer (the session check): only a forged cookie to try. */
  hasNoInput?: boolean;
  /** §8.2: authenticated by the scene's service credential (Authorization: Bearer), not a session. */
  isService?: boolean;
  /** §7.2: a browser redirect target: bad input is a 302 to the SSO sign-in page with `?error=` (no JSON). */
  redirectsBadInput?: (scene: Scene) => { path: string; error: string; cookie?: string }[];
}

const MEMBER_ID_LIKE_ROOT = (scene: Scene) => scene.root.id;
const badMemberIds = (scene: Scene) => [
  "xyz",
  MEMBER_ID_LIKE_ROOT(scene),
  "mem_'%20or%201=1--aaaaaaaaaa",
  `mem_${"a".repeat(21)}`,
  `mem_${"a".repeat(500)}`,
  "%00",
];
const badChallengeIds = () => [
  "not-an-id",
  "chl_short",
  `chl_${"a".repeat(200)}`,
  `mem_${"a".repeat(22)}`,
  "chl_%27%3B%20drop%20table%20users%3B--aa",
];
const badCodes = ["12345", "1234567", "12 345", "abcdef", "١٢٣٤٥٦", "", " 123456", 123456];
const badRecoveryCodes = [
  "abcd-efg0",
  "abcd-efghj",
  "abcd_efgh",
  "",
  "a".repeat(65),
  "ａｂｃｄ-ｅｆｇｈ",
  12345678,
];
/** S7: NUL (text, jsonb) and lone UTF-16 surrogates (jsonb) PostgreSQL refuses: 400, not a 500. */
const unstorable = (text: string) => [
  `${text}\u0000`,
  `\ud800${text}`,
  `${text}\udc00`,
  `${text}\udfff\ud800`,
];
const badEmails = [
  "not-an-email",
  "",
  "a@",
  `${"a".repeat(250)}@example.com`,
  "two@@example.com",
  "a\u0000b@example.com",
  "a\ud800@example.com",
];
const badTokens = ["short", "", "a".repeat(129), "has spaces in the token here", "ü".repeat(20)];

/** S7: instants PostgreSQL's timestamptz refuses, Date cannot write back, or drizzle reads back wrongly. */
const unstorableInstants = [
  ["year 0", "0000-01-01T00:00:00Z"],
  ["year 1 at UTC+1, year 0 in UTC", "0001-01-01T00:00:00+01:00"],
  ["9999 at UTC−14, year 10000 in UTC", "9999-12-31T23:59:59-14:00"],
  ["29 February of year 4, once read back as 2029-04-02", "0004-02-29T00:00:00Z"],
  ["before 1970 once the offset is applied", "1970-01-01T00:59:59+01:00"],
  ["finer than a millisecond", "2026-03-02T09:00:00.0001Z"],
];

/** Bad filters of the audit trail, for the list and the CSV export. */
const badAuditFilters = [
  "member=abc",
  "member=usr_aaaaaaaaaaaaaaaaaaaaaa",
  "member=",
  "type=two_factor.nope",
  "type=two_factor.enabled&type=",
  "type=",
  "from=yesterday",
  "from=2026-03-02",
  "from=2026-13-01T00:00:00Z",
  "to=2026-03-02T25:00:00Z",
  "from=2026-03-02T10:00:00Z&to=2026-03-02T09:00:00Z",
  "from=2026-03-02T09:00:00Z&from=2026-03-02T10:00:00Z",
  "unknown=1",
  ...unstorableInstants.flatMap(([, instant = ""]) => [
    `from=${encodeURIComponent(instant)}`,
    `to=${encodeURIComponent(instant)}`,
  ]),
];

/** SPEC §4, every endpoint. */
const endpoints: Record<string, Endpoint> = {
  "POST /api/auth/root/signup": {
    method: "POST",
    path: () => "/api/auth/root/signup",
    isSignedIn: false,
    valid: () => ({ email: "new-root@example.com", password: PASSWORD }),
    required: ["email", "password"],
    badValues: { email: badEmails, password: ["", "x".repeat(257), ...unstorable(PASSWORD)] },
    weakValues: { password: ["short", "x".repeat(129), "password1234", "new-root@example.com"] },
  },
  "POST /api/auth/root/verify-email": {
    method: "POST",
    path: () => "/api/auth/root/verify-email",
    isSignedIn: false,
    valid: () => ({ token: "A".repeat(43), password: PASSWORD }),
    required: ["token", "password"],
    badValues: { token: badTokens, password: ["", "x".repeat(257), ...unstorable(PASSWORD)] },
  },
  "POST /api/auth/root/login": {
    method: "POST",
    path: () => "/api/auth/root/login",
    isSignedIn: false,
    valid: (scene) => ({ email: scene.root.email, password: PASSWORD }),
    required: ["email", "password"],
    badValues: { email: badEmails, password: ["", "x".repeat(257), ...unstorable(PASSWORD)] },
  },
  "POST /api/auth/member/login": {
    method: "POST",
    path: () => "/api/auth/member/login",
    isSignedIn: false,
    valid: (scene) => ({ accountId: scene.root.accountId, email: "member@example.com", password: PASSWORD }),
    required: ["accountId", "email", "password"],
    badValues: {
      accountId: ["acc_x", "", "usr_aaaaaaaaaaaaaaaaaaaaaa"],
      email: badEmails,
      password: unstorable(PASSWORD),
    },
  },
  "POST /api/auth/challenges/{challengeId}/verify": {
    method: "POST",
    path: (scene) => `/api/auth/challenges/${scene.challengeId}/verify`,
    isSignedIn: false,
    valid: () => ({ code: "123456" }),
    required: ["code"],
    badValues: { code: badCodes },
    badPaths: () => badChallengeIds().map((id) => `/api/auth/challenges/${id}/verify`),
  },
  "POST /api/auth/challenges/{challengeId}/recovery": {
    method: "POST",
    path: (scene) => `/api/auth/challenges/${scene.challengeId}/recovery`,
    isSignedIn: false,
    valid: () => ({ code: "abcd-efgh" }),
    required: ["code"],
    badValues: { code: badRecoveryCodes },
    badPaths: () => badChallengeIds().map((id) => `/api/auth/challenges/${id}/recovery`),
  },
  "POST /api/auth/challenges/{challengeId}/resend": {
    method: "POST",
    path: (scene) => `/api/auth/challenges/${scene.challengeId}/resend`,
    isSignedIn: false,
    badPaths: () => badChallengeIds().map((id) => `/api/auth/challenges/${id}/resend`),
  },
  "POST /api/auth/member/activate": {
    method: "POST",
    path: () => "/api/auth/member/activate",
    isSignedIn: false,
    valid: () => ({ token: "A".repeat(43), initialPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    required: ["token", "initialPassword", "newPassword"],
    badValues: {
      token: badTokens,
      initialPassword: ["", "x".repeat(257), ...unstorable(PASSWORD)],
      newPassword: ["", "x".repeat(257), ...unstorable(NEW_PASSWORD)],
    },
  },
  // §6.2
  "POST /api/me/password": {
    method: "POST",
    path: () => "/api/me/password",
    isSignedIn: true,
    valid: () => ({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    required: ["currentPassword", "newPassword"],
    weakValues: { newPassword: ["short", "x".repeat(129), "password1234", PASSWORD] },
    badValues: {
      currentPassword: ["", "x".repeat(257), ...unstorable(PASSWORD)],
      newPassword: ["", "x".repeat(257), ...unstorable(NEW_PASSWORD)],
    },
  },
  "POST /api/auth/password-reset": {
    method: "POST",
    path: () => "/api/auth/password-reset",
    isSignedIn: false,
    // Without accountId it is a root user's request, which is valid: only email is required of both.
    valid: (scene) => ({ accountId: scene.root.accountId, email: "member@example.com" }),
    required: ["email"],
    badValues: { accountId: ["acc_x", "", "usr_aaaaaaaaaaaaaaaaaaaaaa"], email: badEmails },
  },
  "POST /api/auth/password-reset/confirm": {
    method: "POST",
    path: () => "/api/auth/password-reset/confirm",
    isSignedIn: false,
    valid: () => ({ token: "A".repeat(43), password: PASSWORD }),
    required: ["token", "password"],
    badValues: { token: badTokens, password: ["", "x".repeat(257), ...unstorable(PASSWORD)] },
  },
  "POST /api/auth/logout": {
    method: "POST",
    path: () => "/api/auth/logout",
    isSignedIn: true,
    isSessionOptional: true,
  },
  "GET /api/me": { method: "GET", path: () => "/api/me", isSignedIn: true },
  "GET /api/session": {
    method: "GET",
    path: () => "/api/session",
    isSignedIn: true,
    isSessionOptional: true,
    hasNoInput: true,
  },
  "POST /api/me/two-factor/setup": {
    method: "POST",
    path: () => "/api/me/two-factor/setup",
    isSignedIn: true,
    valid: () => ({ method: "totp", password: PASSWORD }),
    required: ["method", "password"],
    badValues: { method: ["sms", "TOTP", ""], password: ["", "x".repeat(257), ...unstorable(PASSWORD)] },
  },
  "POST /api/me/two-factor/setup/confirm": {
    method: "POST",
    path: () => "/api/me/two-factor/setup/confirm",
    isSignedIn: true,
    valid: () => ({ code: "123456" }),
    required: ["code"],
    badValues: { code: badCodes },
  },
  "POST /api/me/two-factor/code": { method: "POST", path: () => "/api/me/two-factor/code", isSignedIn: true },
  "DELETE /api/me/two-factor": {
    method: "DELETE",
    path: () => "/api/me/two-factor",
    isSignedIn: true,
    valid: () => ({ code: "123456" }),
    required: ["code"],
    badValues: { code: badCodes },
  },
  "POST /api/me/two-factor/recovery-codes": {
    method: "POST",
    path: () => "/api/me/two-factor/recovery-codes",
    isSignedIn: true,
    valid: () => ({ code: "123456" }),
    required: ["code"],
    badValues: { code: badCodes },
  },
  "POST /api/me/step-up": {
    method: "POST",
    path: () => "/api/me/step-up",
    isSignedIn: true,
    valid: () => ({ code: "123456" }),
    required: ["code"],
    badValues: { code: badCodes },
  },
  "POST /api/me/email": {
    method: "POST",
    path: () => "/api/me/email",
    isSignedIn: true,
    valid: () => ({ newEmail: "moved-root@example.com", password: PASSWORD }),
    required: ["newEmail", "password"],
    badValues: { newEmail: badEmails, password: ["", "x".repeat(257), ...unstorable(PASSWORD)] },
  },
  "POST /api/me/email/confirm": {
    method: "POST",
    path: () => "/api/me/email/confirm",
    isSignedIn: false,
    valid: () => ({ token: "A".repeat(43) }),
    required: ["token"],
    badValues: { token: badTokens },
  },
  "GET /api/team/settings": { method: "GET", path: () => "/api/team/settings", isSignedIn: true },
  "PATCH /api/team/settings": {
    method: "PATCH",
    path: () => "/api/team/settings",
    isSignedIn: true,
    valid: () => ({ allowMemberRecoveryCodes: true }),
    required: ["allowMemberRecoveryCodes"],
    badValues: { allowMemberRecoveryCodes: ["true", 1, null] },
  },
  "GET /api/team/settings/two-factor-policy": {
    method: "GET",
    path: () => "/api/team/settings/two-factor-policy",
    isSignedIn: true,
  },
  "PATCH /api/team/settings/two-factor-policy": {
    method: "PATCH",
    path: () => "/api/team/settings/two-factor-policy",
    isSignedIn: true,
    valid: () => ({ requireMemberTwoFactor: true }),
    required: ["requireMemberTwoFactor"],
    badValues: { requireMemberTwoFactor: ["true", 1, null] },
  },
  "GET /api/team/members": { method: "GET", path: () => "/api/team/members", isSignedIn: true },
  "POST /api/team/members": {
    method: "POST",
    path: () => "/api/team/members",
    isSignedIn: true,
    valid: () => ({ email: "invitee@example.com", password: PASSWORD, roles: ["auditor"], remark: "ok" }),
    required: ["email", "password", "roles"],
    weakValues: { password: ["short", "x".repeat(129), "qwertyuiop123", "Invitee@Example.com"] },
    badValues: {
      email: badEmails,
      password: ["", "x".repeat(257), ...unstorable(PASSWORD)],
      roles: [
        [],
        ["superuser"],
        ["auditor", "auditor", "auditor", "auditor", "auditor", "auditor"],
        "auditor",
      ],
      remark: ["x".repeat(501), ...unstorable("ok")],
    },
  },
  "PATCH /api/team/members/{id}": {
    method: "PATCH",
    path: (scene) => `/api/team/members/${scene.memberId}`,
    isSignedIn: true,
    valid: () => ({ status: "disabled", roles: ["accountant"], sso: true, remark: "changed" }),
    required: [],
    badValues: {
      status: ["pending", "deleted", ""],
      roles: [[], ["root"]],
      sso: ["true", 1],
      remark: ["x".repeat(501), ...unstorable("ok")],
    },
    badPaths: (scene) => badMemberIds(scene).map((id) => `/api/team/members/${id}`),
  },
  "DELETE /api/team/members/{id}": {
    method: "DELETE",
    path: (scene) => `/api/team/members/${scene.memberId}`,
    isSignedIn: true,
    badPaths: (scene) => badMemberIds(scene).map((id) => `/api/team/members/${id}`),
  },
  "DELETE /api/team/members/{id}/two-factor": {
    method: "DELETE",
    path: (scene) => `/api/team/members/${scene.memberId}/two-factor`,
    isSignedIn: true,
    valid: () => ({ reason: "Lost phone" }),
    isBodyOptional: true,
    badValues: { reason: ["r".repeat(501), ` ${"r".repeat(501)} `, ...unstorable("Lost phone")] },
    badPaths: (scene) => badMemberIds(scene).map((id) => `/api/team/members/${id}/two-factor`),
  },
  "GET /api/me/sessions": { method: "GET", path: () => "/api/me/sessions", isSignedIn: true },
  "DELETE /api/me/sessions": { method: "DELETE", path: () => "/api/me/sessions", isSignedIn: true },
  "DELETE /api/me/sessions/{id}": {
    method: "DELETE",
    path: () => "/api/me/sessions/ses_AAAAAAAAAAAAAAAAAAAAAA",
    isSignedIn: true,
    badPaths: (scene) =>
      [
        "xyz",
        "ses_short",
        `ses_${"a".repeat(23)}`,
        `ses_${"a".repeat(500)}`,
        scene.memberId,
        scene.challengeId,
        "ses_%27%3B%20drop%20table%20sessions%3B--a",
        "%00",
      ].map((id) => `/api/me/sessions/${id}`),
  },
  "DELETE /api/team/members/{id}/sessions": {
    method: "DELETE",
    path: (scene) => `/api/team/members/${scene.memberId}/sessions`,
    isSignedIn: true,
    badPaths: (scene) => badMemberIds(scene).map((id) => `/api/team/members/${id}/sessions`),
  },
  "GET /api/team/audit-events": {
    method: "GET",
    path: () => "/api/team/audit-events",
    isSignedIn: true,
    badPaths: () =>
      [
        "limit=0",
        "limit=abc",
        "limit=101",
        "limit=-1",
        "limit=1.5",
        "limit=",
        "cursor=-1",
        "cursor=abc",
        "cursor=1e3",
        "cursor=9999999999999999999",
        "cursor=",
        "limit=1&limit=2",
        ...badAuditFilters,
      ].map((query) => `/api/team/audit-events?${query}`),
  },
  "GET /api/team/audit-events/export.csv": {
    method: "GET",
    path: () => "/api/team/audit-events/export.csv",
    isSignedIn: true,
    badPaths: () =>
      ["cursor=1", "limit=10", ...badAuditFilters].map(
        (query) => `/api/team/audit-events/export.csv?${query}`,
      ),
  },
  "POST /api/team/service-credentials": {
    method: "POST",
    path: () => "/api/team/service-credentials",
    isSignedIn: true,
    valid: () => ({ name: "deployments" }),
    required: ["name"],
    badValues: { name: ["", "   ", "x".repeat(65), ...unstorable("deployments")] },
  },
  "GET /api/team/service-credentials": {
    method: "GET",
    path: () => "/api/team/service-credentials",
    isSignedIn: true,
  },
  "DELETE /api/team/service-credentials/{id}": {
    method: "DELETE",
    path: (scene) => `/api/team/service-credentials/${scene.credentialId}`,
    isSignedIn: true,
    badPaths: () => badCredentialIds().map((id) => `/api/team/service-credentials/${id}`),
  },
  "POST /api/introspect": {
    method: "POST",
    path: () => "/api/introspect",
    isSignedIn: false,
    isService: true,
    valid: () => ({ token: "a-token-that-is-no-session" }),
    required: ["token"],
    badValues: { token: ["", "x".repeat(513)] },
  },
  // §7: single sign-on.
  "GET /api/team/sso": { method: "GET", path: () => "/api/team/sso", isSignedIn: true },
  "PUT /api/team/sso": {
    method: "PUT",
    path: () => "/api/team/sso",
    isSignedIn: true,
    valid: () => ({
      issuer: "https://idp.example.com",
      clientId: "client",
      clientSecret: "secret",
      allowedDomains: ["example.com"],
      jitEnabled: false,
      jitRoles: ["auditor"],
      enabled: true,
    }),
    required: ["issuer", "clientId", "allowedDomains", "jitEnabled", "jitRoles", "enabled"],
    badValues: {
      issuer: [
        "",
        "not a url",
        `https://${"a".repeat(600)}.example.com`,
        ...unstorable("https://idp.example.com"),
      ],
      clientId: ["", "x".repeat(513), ...unstorable("client")],
      clientSecret: ["", "x".repeat(2049), ...unstorable("secret")],
      allowedDomains: [
        [],
        ["not a domain"],
        ["example"],
        [""],
        ["a\u0000.com"],
        Array(51).fill("example.com"),
      ],
      jitRoles: [["owner"], [""], ["auditor", 1]],
    },
  },
  "DELETE /api/team/sso": { method: "DELETE", path: () => "/api/team/sso", isSignedIn: true },
  "GET /api/auth/sso/{accountId}/start": {
    method: "GET",
    path: (scene) => `/api/auth/sso/${scene.root.accountId}/start`,
    isSignedIn: false,
    badPaths: (scene) => [
      "/api/auth/sso/acc_x/start",
      "/api/auth/sso/usr_aaaaaaaaaaaaaaaaaaaaaa/start",
      `/api/auth/sso/acc_${"a".repeat(300)}/start`,
      `/api/auth/sso/${scene.root.accountId}/start?stepUp=2`,
      `/api/auth/sso/${scene.root.accountId}/start?returnTo=https://evil.example/`,
      `/api/auth/sso/${scene.root.accountId}/start?returnTo=//evil.example/member/`,
      `/api/auth/sso/${scene.root.accountId}/start?returnTo=/member/../api`,
    ],
  },
  "GET /api/auth/sso/callback": {
    method: "GET",
    path: () => "/api/auth/sso/callback",
    isSignedIn: false,
    redirectsBadInput: (scene) =>
      [
        "",
        "?code=abc",
        "?state=",
        "?state=forged&code=abc",
        `?state=${"a".repeat(300)}&code=abc`,
        "?error=access_denied",
        `?state=${"a".repeat(9000)}`,
      ].flatMap((query) => [
        { path: `/api/auth/sso/callback${query}`, error: "SSO_STATE_INVALID" },
        {
          path: `/api/auth/sso/callback${query}`,
          error: "SSO_STATE_INVALID",
          cookie: `cloud2fa_sso=${scene.root.accountId}.${"b".repeat(43)}`,
        },
      ]),
  },
};

const badCredentialIds = () => [
  "xyz",
  `svc_${"a".repeat(21)}`,
  `svc_${"a".repeat(500)}`,
  "%00",
  `mem_${"a".repeat(22)}`,
];

const ONE_MEGABYTE = 1024 * 1024;
const validation = { status: 400, code: "VALIDATION_FAILED" };

function badCases(endpoint: Endpoint, scene: Scene): BadCase[] {
  const cases: BadCase[] = [];
  const path = endpoint.path(scene);
  if (endpoint.method !== "GET") {
    cases.push({
      label: "1 MB body",
      rawBody: JSON.stringify({ ...endpoint.valid?.(scene), padding: "x".repeat(ONE_MEGABYTE) }),
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    });
    cases.push({
      label: "65 KB body",
      rawBody: " ".repeat(65 * 1024),
      status: 413,
      code: "PAYLOAD_TOO_LARGE",
    });
  }
  const valid = endpoint.valid?.(scene);
  if (valid) {
    const json = JSON.stringify(valid);
    const push = (label: string, rawBody: string, contentType: string | null = "application/json") =>
      cases.push({ label, rawBody, contentType, ...validation });
    push("malformed JSON", json.slice(0, -1));
    push("not JSON at all", "{nope");
    push("empty body", "");
    push("JSON null", "null");
    push("JSON array", `[${json}]`);
    push("JSON string", JSON.stringify(json));
    if (!endpoint.isBodyOptional) push("missing every field", "{}");
    for (const field of endpoint.required ?? []) {
      const { [field]: _omitted, ...rest } = valid;
      push(`missing ${field}`, JSON.stringify(rest));
    }
    push("unknown extra field", JSON.stringify({ ...valid, isAdmin: true }));
    push("__proto__ field", `${json.slice(0, -1)},"__proto__":{"isAdmin":true}}`);
    for (const [field, weak] of Object.entries(endpoint.weakValues ?? {})) {
      for (const password of weak) {
        cases.push({
          label: `${field} = ${JSON.stringify(password).slice(0, 40)} (§6.3)`,
          rawBody: JSON.stringify({ ...valid, [field]: password }),
          contentType: "application/json",
          status: 400,
          code: "WEAK_PASSWORD",
          field,
        });
      }
    }
    for (const field of Object.keys(valid)) {
      const wrongTypes = [42, null, true, { nested: 1 }, ["x"]].filter(
        (wrong) => typeof wrong !== typeof valid[field] || wrong === null,
      );
      for (const wrong of wrongTypes) {
        push(`${field} as ${JSON.stringify(wrong)}`, JSON.stringify({ ...valid, [field]: wrong }));
      }
      for (const wrong of endpoint.badValues?.[field] ?? []) {
        push(
          `${field} = ${JSON.stringify(wrong).slice(0, 40)}`,
          JSON.stringify({ ...valid, [field]: wrong }),
        );
      }
    }
    push("text/plain content type", json, "text/plain");
    push(
      "form content type",
      new URLSearchParams(valid as Record<string, string>).toString(),
      "application/x-www-form-urlencoded",
    );
    push("no content type", json, null);
  }
  if (endpoint.isSignedIn && !endpoint.isSessionOptional) {
    for (const cookie of ["cloud2fa_session=forged", `cloud2fa_session=${scene.challengeId}`]) {
      cases.push({
        label: `session cookie ${cookie}`,
        cookie,
        rawBody: valid ? JSON.stringify(valid) : undefined,
        contentType: valid ? "application/json" : null,
        status: 401,
        code: "UNAUTHENTICATED",
      });
    }
  }
  if (endpoint.isService) {
    for (const authorization of ["Bearer forged", `Bearer ${scene.challengeId}`, "Basic eDp5"]) {
      cases.push({
        label: `Authorization ${authorization}`,
        authorization,
        rawBody: valid ? JSON.stringify(valid) : undefined,
        contentType: valid ? "application/json" : null,
        status: 401,
        code: "UNAUTHENTICATED",
      });
    }
  }
  for (const badPath of endpoint.badPaths?.(scene) ?? []) {
    if (badPath === path) continue;
    cases.push({
      label: `path ${badPath.slice(0, 80)}`,
      path: badPath,
      rawBody: valid ? JSON.stringify(valid) : undefined,
      contentType: valid ? "application/json" : null,
      ...validation,
    });
  }
  return cases;
}

async function snapshot(): Promise<Record<string, string[]>> {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));
  const result: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = await context.deps.db.select().from(table);
    result[getTableName(table)] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}

async function makeScene(): Promise<Scene> {
  const root = await createRoot(context);
  const member = await createMember(context, root, { email: "member@example.com" });
  const other = await createRoot(context);
  await enableTotp(context, other.cookie);
  const login = await call(context, "POST", "/api/auth/root/login", {
    body: { email: other.email, password: PASSWORD },
  });
  const credential = await call(context, "POST", "/api/team/service-credentials", {
    cookie: root.cookie,
    body: { name: "bad-input" },
  });
  return {
    root,
    memberId: member.id,
    challengeId: login.body.challengeId,
    serviceSecret: credential.body.secret,
    credentialId: credential.body.id,
  };
}

function expectJsonError(
  response: ApiResponse,
  expected: { status: number; code: string; field?: string | undefined },
  label: string,
) {
  expect(response.status, label).toBe(expected.status);
  expect(response.headers.get("content-type"), label).toMatch(/^application\/json/);
  // §6.3: a refused new password also names its reason and the field.
  const weak = expected.code === "WEAK_PASSWORD" && {
    reason: expect.any(String),
    field: expected.field ?? "password",
  };
  expect(response.body, label).toEqual({
    error: { code: expected.code, message: expect.any(String), ...weak },
  });
  expect(response.body.error.message.length, label).toBeGreaterThan(0);
  expect(response.headers.get("set-cookie"), label).toBeNull();
}

describe("S7 bad input gets a 4xx JSON error, never a 5xx, and changes nothing", () => {
  it("S7 the table covers every endpoint of SPEC §4", async () => {
    const document = await call(context, "GET", "/api/openapi.json");
    const documented = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} /api${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(endpoints).sort());
  });

  it("S7 the OpenAPI document says which text every free-text field refuses", async () => {
    const document = await call(context, "GET", "/api/openapi.json");
    const paths = document.body.paths as Record<string, Record<string, { requestBody?: unknown }>>;
    const propertyOf = (path: string, method: string, name: string) => {
      const body = paths[path]?.[method]?.requestBody as
        | { content: Record<string, { schema: { properties: Record<string, { description?: string }> } }> }
        | undefined;
      return body?.content["application/json"]?.schema.properties[name];
    };
    const freeText = [
      ["/auth/root/signup", "post", "password"],
      ["/auth/root/login", "post", "password"],
      ["/auth/password-reset/confirm", "post", "password"],
      ["/me/two-factor/setup", "post", "password"],
      ["/me/email", "post", "password"],
      ["/me/password", "post", "currentPassword"],
      ["/me/password", "post", "newPassword"],
      ["/auth/member/activate", "post", "initialPassword"],
      ["/auth/member/activate", "post", "newPassword"],
      ["/team/members", "post", "remark"],
      ["/team/members/{id}", "patch", "remark"],
      ["/team/members/{id}/two-factor", "delete", "reason"],
    ] as const;
    for (const [path, method, name] of freeText) {
      expect(propertyOf(path, method, name)?.description, `${method} ${path} ${name}`).toMatch(
        /without NUL characters \(U\+0000\) or lone UTF-16 surrogates/,
      );
    }
  });

  it.each(Object.keys(endpoints))("S7 %s", async (name) => {
    const endpoint = endpoints[name] as Endpoint;
    const scene = await makeScene();
    context.smtp.clear();
    const before = await snapshot();
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([
        "users",
        "sessions",
        "audit_events",
        "password_throttles",
        "code_attempt_budgets",
      ]),
    );
    const cookie = endpoint.isSignedIn ? scene.root.cookie : undefined;
    const cases = badCases(endpoint, scene);
    if (endpoint.redirectsBadInput) {
      for (const bad of endpoint.redirectsBadInput(scene)) {
        const response = await call(context, "GET", bad.path, {
          ...(bad.cookie ? { cookie: bad.cookie } : {}),
        });
        expect(response.status, bad.path).toBe(302);
        const location = new URL(response.headers.get("location") ?? "");
        expect(location.pathname, bad.path).toMatch(/^\/member\/sso/);
        expect(location.searchParams.get("error"), bad.path).toBe(bad.error);
        expect(
          response.headers.getSetCookie().some((line) => line.startsWith("cloud2fa_session=")),
          bad.path,
        ).toBe(false);
      }
      // S8: a refusal of a named team is audited; nothing else changes.
      const after = await snapshot();
      expect({ ...after, audit_events: [] }).toEqual({ ...before, audit_events: [] });
      expect(
        (after.audit_events ?? [])
          .filter((row) => !(before.audit_events ?? []).includes(row))
          .every((row) => row.includes("sso.sign_in_refused")),
      ).toBe(true);
      return;
    }
    if (endpoint.hasNoInput) {
      expect(cases).toEqual([]);
      for (const forged of ["cloud2fa_session=forged", `cloud2fa_session=${scene.challengeId}`]) {
        const response = await call(context, endpoint.method, endpoint.path(scene), { cookie: forged });
        expect(response.status, forged).toBe(200);
        expect(response.body, forged).toEqual({ me: null });
      }
      expect(await snapshot()).toEqual(before);
      return;
    }
    expect(cases.length).toBeGreaterThan(0);
    for (const bad of cases) {
      const headers: Record<string, string> = {};
      if (bad.contentType) headers["content-type"] = bad.contentType;
      if (endpoint.isService) headers.authorization = bad.authorization ?? `Bearer ${scene.serviceSecret}`;
      const response = await call(context, endpoint.method, bad.path ?? endpoint.path(scene), {
        cookie: bad.cookie ?? cookie,
        headers,
        rawBody: bad.rawBody,
      });
      expectJsonError(response, bad, `${name}: ${bad.label}`);
    }
    expect(await snapshot()).toEqual(before);
    expect(context.smtp.received).toHaveLength(0);
    // The scene still works: the bad requests broke nothing.
    expect((await call(context, "GET", "/api/me", { cookie: scene.root.cookie })).status).toBe(200);
  });
});

const unstorableTexts = [
  ["NUL", "a\u0000b"],
  ["a lone high surrogate", "a\ud800b"],
  ["a lone low surrogate", "\udc00"],
  ["surrogates in the wrong order", "\ude00\ud83d"],
];
const UNSTORABLE_MESSAGE = "expected text without NUL characters (U+0000) or lone UTF-16 surrogates";

describe("S7 text PostgreSQL cannot store (NUL in text and jsonb, lone surrogates in jsonb) is 400, not a 500", () => {
  it.each(unstorableTexts)(
    "S7 a remark with %s: inviting and editing a member are refused, nothing changes",
    async (_label, text) => {
      const root = await createRoot(context);
      const member = await createMember(context, root);
      context.smtp.clear();
      const before = await snapshot();
      const invited = await call(context, "POST", "/api/team/members", {
        cookie: root.cookie,
        body: { email: "invitee@example.com", password: PASSWORD, roles: ["auditor"], remark: text },
      });
      expectJsonError(invited, validation, "invite");
      expect(invited.body.error.message).toBe(`remark: ${UNSTORABLE_MESSAGE}`);
      const edited = await call(context, "PATCH", `/api/team/members/${member.id}`, {
        cookie: root.cookie,
        body: { remark: text },
      });
      expectJsonError(edited, validation, "edit");
      expect(edited.body.error.message).toBe(`remark: ${UNSTORABLE_MESSAGE}`);
      expect(await snapshot()).toEqual(before);
      expect(context.smtp.received).toHaveLength(0);
    },
  );

  it.each(unstorableTexts)(
    "S7 a 2FA removal reason with %s is refused; the member's 2FA stays enabled",
    async (_label, text) => {
      const root = await createRoot(context);
      const member = await createMember(context, root);
      await enableTotp(context, member.cookie);
      context.smtp.clear();
      const before = await snapshot();
      const removed = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
        cookie: root.cookie,
        body: { reason: text },
      });
      expectJsonError(removed, validation, "remove");
      expect(removed.body.error.message).toBe(`reason: ${UNSTORABLE_MESSAGE}`);
      expect(await snapshot()).toEqual(before);
      expect(context.smtp.received).toHaveLength(0);
      const team = await call(context, "GET", "/api/team/members", { cookie: root.cookie });
      const row = team.body.members.find((entry: { id: string }) => entry.id === member.id);
      expect(row.twoFactor.enabled).toBe(true);
      expect((await call(context, "GET", "/api/me", { cookie: member.cookie })).status).toBe(200);
    },
  );

  it("S7 text with paired surrogates, accents and control characters other than NUL is stored as sent", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    await enableTotp(context, member.cookie);
    const text = "Téléphone perdu 📱 \u0001\t中";
    const edited = await call(context, "PATCH", `/api/team/members/${member.id}`, {
      cookie: root.cookie,
      body: { remark: text },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.remark).toBe(text);
    const removed = await call(context, "DELETE", `/api/team/members/${member.id}/two-factor`, {
      cookie: root.cookie,
      body: { reason: text },
    });
    expect(removed.status).toBe(204);
    const audit = await call(context, "GET", "/api/team/audit-events?type=two_factor.removed", {
      cookie: root.cookie,
    });
    expect(audit.body.events[0].detail.reason).toBe(text.trim());
  });
});

describe("S7 instants outside 1970–9999 UTC, or that Date would change, are 400, not a 500", () => {
  it.each(unstorableInstants)(
    "S7 a 2FA policy deadline in %s is refused; the policy is unchanged",
    async (_label, instant) => {
      const root = await createRoot(context);
      const policyPath = "/api/team/settings/two-factor-policy";
      const policy = { requireMemberTwoFactor: true, memberTwoFactorDeadline: "2026-12-31T00:00:00.000Z" };
      expect((await call(context, "PATCH", policyPath, { cookie: root.cookie, body: policy })).status).toBe(
        200,
      );
      const before = await snapshot();
      for (const body of [
        { memberTwoFactorDeadline: instant },
        { requireMemberTwoFactor: false, memberTwoFactorDeadline: instant },
      ]) {
        const response = await call(context, "PATCH", policyPath, { cookie: root.cookie, body });
        expectJsonError(response, validation, `${instant}`);
        expect(response.body.error.message).toMatch(/^memberTwoFactorDeadline: expected /);
      }
      expect(await snapshot()).toEqual(before);
      expect((await call(context, "GET", policyPath, { cookie: root.cookie })).body).toEqual(policy);
    },
  );

  it.each(unstorableInstants)("S7 audit filters from and to in %s are refused", async (_label, instant) => {
    const root = await createRoot(context);
    for (const path of ["/api/team/audit-events", "/api/team/audit-events/export.csv"]) {
      for (const filter of ["from", "to"]) {
        const response = await call(
          context,
          "GET",
          `${path}?${filter}=${encodeURIComponent(instant ?? "")}`,
          {
            cookie: root.cookie,
          },
        );
        expectJsonError(response, validation, `${path} ${filter}=${instant}`);
      }
    }
  });

  it.each([
    ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"],
    ["1970-01-01T01:00:00+01:00", "1970-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
    ["9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59.000Z"],
    ["2028-02-29T12:00:00.120000Z", "2028-02-29T12:00:00.120Z"],
  ])("S7 the deadline %s is stored as the instant it names, %s", async (instant, stored) => {
    const root = await createRoot(context);
    const policyPath = "/api/team/settings/two-factor-policy";
    const response = await call(context, "PATCH", policyPath, {
      cookie: root.cookie,
      body: { memberTwoFactorDeadline: instant },
    });
    expect(response.status).toBe(200);
    expect(response.body.memberTwoFactorDeadline).toBe(stored);
    const read = await call(context, "GET", policyPath, { cookie: root.cookie });
    expect(read.body.memberTwoFactorDeadline).toBe(stored);
    const audit = await call(context, "GET", `/api/team/audit-events?from=${encodeURIComponent(instant)}`, {
      cookie: root.cookie,
    });
    expect(audit.status).toBe(200);
  });
});

describe("S7 bad headers", () => {
  it.each([
    ["a token far too long", `cloud2fa_session=${"a".repeat(5000)}`],
    ["a broken percent-encoding", "cloud2fa_session=%E0%A4%A"],
    ["an empty value", "cloud2fa_session="],
    ["no name", "=abc; ;;"],
    ["control characters", "cloud2fa_session=\u0001\u0002"],
  ])("S7 a session cookie with %s → 401 UNAUTHENTICATED JSON", async (_label, cookieHeader) => {
    const response = await call(context, "GET", "/api/me", { headers: { cookie: cookieHeader } });
    expectJsonError(response, { status: 401, code: "UNAUTHENTICATED" }, cookieHeader.slice(0, 40));
  });

  it("S7 a content type with a charset parameter is still JSON", async () => {
    const root = await createRoot(context);
    const response = await call(context, "POST", "/api/auth/root/login", {
      headers: { "content-type": "application/json; charset=utf-8" },
      rawBody: JSON.stringify({ email: root.email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
  });

  it("S7 a user agent with Latin-1 and control characters is kept as sent; NUL cannot reach the app", async () => {
    expect(() => new Headers({ "user-agent": "a\u0000b" })).toThrow();
    const root = await createRoot(context);
    const userAgent = "Mozilla/5.0 (ÿ é \u0001\u001f\u007f)";
    const response = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
      headers: { "user-agent": userAgent },
    });
    expect(response.status).toBe(200);
    const audit = await call(context, "GET", "/api/team/audit-events?type=two_factor.setup_started", {
      cookie: root.cookie,
    });
    expect(audit.body.events[0].userAgent).toBe(userAgent);
  });

  it("S7 a very long user agent is accepted and stored cut to size, not refused with a 5xx", async () => {
    const root = await createRoot(context);
    const response = await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "totp", password: PASSWORD },
      headers: { "user-agent": "u".repeat(8000) },
    });
    expect(response.status).toBe(200);
    const audit = await call(context, "GET", "/api/team/audit-events", { cookie: root.cookie });
    const event = audit.body.events.find(
      (entry: { type: string }) => entry.type === "two_factor.setup_started",
    );
    expect(event.userAgent.length).toBeLessThanOrEqual(512);
  });
});

describe("S7 unknown routes", () => {
  it.each([
    ["GET", "/api/nope"],
    ["POST", "/api/nope"],
    ["GET", "/api/team/members/x/y/z"],
    ["PUT", "/api/me"],
    ["POST", "/api/me"],
    ["GET", "/api/auth/root/login"],
    ["DELETE", "/api/team/audit-events"],
    ["GET", "/api/me/two-factor/setup/confirm/extra"],
  ])("S7 %s %s → 404 NOT_FOUND JSON", async (method, path) => {
    const root = await createRoot(context);
    const response = await call(context, method, path, { cookie: root.cookie });
    expectJsonError(response, { status: 404, code: "NOT_FOUND" }, `${method} ${path}`);
  });
});
