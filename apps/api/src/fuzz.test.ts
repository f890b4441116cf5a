import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as schema from "./db/schema/index.js";
import {
  call,
  createMember,
  createRoot,
  enableTotp,
  PASSWORD,
  type TestContext,
  useTestApp,
} from "./test/harness.js";

// S7 as properties: arbitrary paths, queries, headers and bodies on every endpoint of the OpenAPI
// document never get a 5xx; every refusal is the JSON error shape and changes nothing.

const context = useTestApp();
const RUNS_PER_CALLER = 100;

interface Operation {
  method: string;
  path: string;
  fields: string[];
}

/** A refusal that is itself a counted event (S3, S8) may change these tables, and only these. */
const countedRefusals: Record<string, string[]> = {
  INVALID_CREDENTIALS: ["password_throttles"],
  INVALID_CODE: ["code_attempt_budgets", "sign_in_challenges", "audit_events"],
  TOO_MANY_ATTEMPTS: ["password_throttles", "code_attempt_budgets", "sign_in_challenges", "audit_events"],
};

async function snapshot(): Promise<Record<string, string[]>> {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));
  const result: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = await context.deps.db.select().from(table);
    result[getTableName(table)] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}

async function documentedOperations(ctx: TestContext): Promise<Operation[]> {
  const document = await call(ctx, "GET", "/api/openapi.json");
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(
    document.body.paths as Record<string, Record<string, unknown>>,
  )) {
    for (const [method, operation] of Object.entries(methods)) {
      const body = (
        operation as { requestBody?: { content?: Record<string, { schema?: { properties?: object } }> } }
      ).requestBody?.content?.["application/json"]?.schema?.properties;
      operations.push({ method: method.toUpperCase(), path: `/api${path}`, fields: Object.keys(body ?? {}) });
    }
  }
  return operations;
}

const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
});
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom(
    "",
    " ",
    "null",
    "true",
    "0",
    "-1",
    "1e309",
    "NaN",
    "123456",
    "١٢٣٤٥٦",
    "\u0000",
    "a".repeat(5000),
  ),
);

function fuzzedRequest(operations: Operation[], valid: { ids: string[]; values: Record<string, unknown[]> }) {
  const pathParam = fc.oneof(fc.constantFrom(...valid.ids), anyText.map(encodeURIComponent), printable);
  const fieldValue = (field: string) =>
    fc.oneof(fc.constantFrom(...(valid.values[field] ?? [null])), fc.jsonValue({ maxDepth: 3 }), anyText);
  const body = (operation: Operation) =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record(Object.fromEntries(operation.fields.map((f) => [f, fieldValue(f)])), { requiredKeys: [] })
          .map((value) => JSON.stringify(value)),
      },
      { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
      { weight: 1, arbitrary: anyText },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
          `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`,
          JSON.stringify({ email: "x".repeat(70_000) }),
          JSON.stringify({ code: "1".repeat(60_000) }),
          '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}',
        ),
      },
    );
  const query = fc.dictionary(
    fc.oneof(fc.constantFrom("limit", "cursor"), printable),
    fc.oneof(anyText, fc.integer().map(String)),
    {
      maxKeys: 3,
    },
  );
  const contentType = fc.option(
    fc.oneof(
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/problem+json",
      ),
      printable,
    ),
    { nil: undefined },
  );
  return fc.constantFrom(...operations).chain((operation) =>
    fc.record({
      operation: fc.constant(operation),
      params: fc.array(pathParam, { minLength: 2, maxLength: 2 }),
      query,
      body:
        operation.method === "GET" ? fc.constant(undefined) : fc.option(body(operation), { nil: undefined }),
      contentType,
      extraHeader: fc.option(
        fc.tuple(fc.constantFrom("accept", "x-forwarded-for", "user-agent", "accept-language"), printable),
        {
          nil: undefined,
        },
      ),
    }),
  );
}

async function expectFuzzSafe(caller: "anonymous" | "root" | "member") {
  const root = await createRoot(context);
  const member = await createMember(context, root, { roles: ["administrator"] });
  const other = await createMember(context, root, { roles: ["auditor"] });
  const totpRoot = await createRoot(context);
  await enableTotp(context, totpRoot.cookie);
  const login = await call(context, "POST", "/api/auth/root/login", {
    body: { email: totpRoot.email, password: PASSWORD },
  });
  const cookie = caller === "root" ? root.cookie : caller === "member" ? member.cookie : undefined;
  const valid = {
    ids: [other.id, member.id, login.body.challengeId as string, root.id],
    values: {
      email: [root.email, "new-member@example.com"],
      password: [PASSWORD],
      accountId: [root.accountId],
      code: ["123456"],
      token: ["A".repeat(43)],
      method: ["totp", "email"],
      roles: [["auditor"], ["administrator", "auditor"]],
      status: ["active", "disabled"],
      sso: [true, false],
      remark: ["ok"],
    } as Record<string, unknown[]>,
  };
  // Signing out would end the caller's session for the rest of the run.
  const operations = (await documentedOperations(context)).filter(
    (operation) => caller === "anonymous" || operation.path !== "/api/auth/logout",
  );
  expect(operations.length).toBeGreaterThanOrEqual(18);

  await fc.assert(
    fc.asyncProperty(fuzzedRequest(operations, valid), async (request) => {
      let index = 0;
      const path = request.operation.path.replace(/\{[^}]+\}/g, () => request.params[index++] ?? "");
      const search = new URLSearchParams(request.query).toString();
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers["content-type"] = request.contentType;
      if (request.extraHeader) headers[request.extraHeader[0]] = request.extraHeader[1];
      const before = await snapshot();
      const response = await call(context, request.operation.method, search ? `${path}?${search}` : path, {
        cookie,
        headers,
        rawBody: request.body,
      });
      const label = `${request.operation.method} ${path.slice(0, 120)} → ${response.status} ${JSON.stringify(response.body)?.slice(0, 200)}`;
      expect(response.status, label).toBeLessThan(500);
      if (response.status < 400) return;
      expect(response.headers.get("content-type"), label).toMatch(/^application\/json/);
      expect(response.body, label).toEqual({
        error: { code: expect.any(String), message: expect.any(String) },
      });
      const after = await snapshot();
      const mayChange = countedRefusals[response.body.error.code] ?? [];
      for (const table of Object.keys(before)) {
        if (!mayChange.includes(table)) expect(after[table], `${label}: ${table}`).toEqual(before[table]);
      }
    }),
    { numRuns: RUNS_PER_CALLER, endOnFailure: true },
  );
}

describe("S7 fuzzing every endpoint: never a 5xx, refusals are JSON errors and change nothing", () => {
  it.each(["anonymous", "root", "member"] as const)(
    "S7 as %s",
    async (caller) => {
      await expectFuzzSafe(caller);
    },
    60_000,
  );
});
