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
// document never get a 5xx; every refusal is the JSON error shape and changes nothing; what is accepted
// is stored as sent.

const context = useTestApp();
const RUNS_PER_CALLER = 300;

interface Operation {
  method: string;
  path: string;
  fields: string[];
  /** Body fields and query parameters documented as date-times. */
  instantFields: string[];
  queryParameters: string[];
}

/**
 * A refusal that is itself a counted event (S3, S8) may change these counters, append audit events of
 * these types, and (a wrong code) count one failure on one factor (hard cap); nothing else.
 */
interface CountedRefusal {
  counters: string[];
  auditTypes: string[];
  chargesFactor: boolean;
  /** S6: an unverified root user's right password mails the verification link again (a new pending link). */
  addsVerificationLinks?: true;
  /** Its notices (a wrong code, a lock) or the link mailed again are queued in the outbox: rows appended. */
  queuesMail?: true;
}
const codeAuditTypes = ["two_factor.code_rejected", "two_factor.locked", "two_factor.factor_locked"];
const codeCounters = ["code_attempt_budgets", "sign_in_challenges"];
const countedRefusals: Record<string, CountedRefusal> = {
  INVALID_CREDENTIALS: {
    counters: ["password_throttles"],
    auditTypes: ["two_factor.setup_password_rejected"],
    chargesFactor: false,
    addsVerificationLinks: true,
    queuesMail: true,
  },
  INVALID_CODE: { counters: codeCounters, auditTypes: codeAuditTypes, chargesFactor: true, queuesMail: true },
  TOO_MANY_ATTEMPTS: {
    counters: ["password_throttles", ...codeCounters],
    auditTypes: codeAuditTypes,
    chargesFactor: true,
    queuesMail: true,
  },
  TWO_FACTOR_LOCKED: {
    counters: codeCounters,
    auditTypes: codeAuditTypes,
    chargesFactor: true,
    queuesMail: true,
  },
};
const nothingCounted: CountedRefusal = { counters: [], auditTypes: [], chargesFactor: false };

/** The audit trail is append-only, and a refusal appends only the events it counts. */
function expectAuditAppended(allowed: string[], before: string[], after: string[], label: string) {
  const added = after.filter((row) => !before.includes(row));
  expect(after.length - added.length, `${label}: audit rows kept`).toBe(before.length);
  const types = added.map((row) => (JSON.parse(row) as { type: string }).type);
  expect(
    types.filter((type) => !allowed.includes(type)),
    `${label}: audit rows added`,
  ).toEqual([]);
}

/** The outbox only grows by a refusal's own notices: every row that was there is kept as it was. */
function expectMailAppended(before: string[], after: string[], label: string) {
  const kept = before.filter((row) => after.includes(row));
  expect(kept, `${label}: queued mail kept`).toEqual(before);
}

/** Hard cap: a wrong code adds one to one factor's streak and may lock it; nothing else of any factor. */
function expectFactorCharged(before: string[], after: string[], label: string) {
  type Factor = { userId: string; failedCodeStreak: number; lockedAt: string | null };
  const byUser = (rows: string[]) =>
    new Map(rows.map((row) => [(JSON.parse(row) as Factor).userId, JSON.parse(row) as Factor]));
  const was = byUser(before);
  const is = byUser(after);
  expect([...is.keys()].sort(), `${label}: factors`).toEqual([...was.keys()].sort());
  const changed = [...is].filter(
    ([userId, factor]) => JSON.stringify(factor) !== JSON.stringify(was.get(userId)),
  );
  expect(changed.length, `${label}: factors charged`).toBeLessThanOrEqual(1);
  for (const [userId, { failedCodeStreak, lockedAt, ...rest }] of changed) {
    const {
      failedCodeStreak: streakBefore,
      lockedAt: lockedBefore,
      ...restBefore
    } = was.get(userId) as Factor;
    expect(rest, `${label}: factor`).toEqual(restBefore);
    expect(failedCodeStreak, `${label}: streak`).toBe(streakBefore + 1);
    expect(lockedAt === lockedBefore || (lockedBefore === null && lockedAt !== null), `${label}: lock`).toBe(
      true,
    );
  }
}

/** S6: verification links are only added, each live, unspent and carrying its sign-up's password hash. */
function expectLinksAppended(before: string[], after: string[], label: string) {
  const added = after.filter((row) => !before.includes(row));
  expect(after.length - added.length, `${label}: links kept`).toBe(before.length);
  for (const row of added) {
    const link = JSON.parse(row) as {
      purpose: string;
      passwordHash: string | null;
      consumedAt: string | null;
    };
    expect(link.purpose, `${label}: link added`).toBe("verify_email");
    expect(link.passwordHash, `${label}: link's password`).toEqual(expect.any(String));
    expect(link.consumedAt, `${label}: link spent`).toBeNull();
  }
}

/**
 * S3: a right password's reserved attempt is given back, so a refusal that comes after it (409
 * ACCOUNT_NOT_ACTIVE, 403 TWO_FACTOR_LOCKED, …) may leave a throttle row at count 0: no count, as
 * no row is. A count that moved or vanished still shows.
 */
function withoutZeroCounts(rows: string[]): string[] {
  return rows.filter((row) => (JSON.parse(row) as { count: number }).count !== 0);
}

function expectOnlyCounted(
  refusal: CountedRefusal,
  before: Record<string, string[]>,
  after: Record<string, string[]>,
  label: string,
) {
  for (const [table, rowsBefore] of Object.entries(before)) {
    const rowsAfter = after[table] ?? [];
    if (refusal.counters.includes(table)) continue;
    if (table === "audit_events") expectAuditAppended(refusal.auditTypes, rowsBefore, rowsAfter, label);
    else if (table === "one_time_tokens" && refusal.addsVerificationLinks)
      expectLinksAppended(rowsBefore, rowsAfter, label);
    else if (table === "mail_outbox" && refusal.queuesMail) expectMailAppended(rowsBefore, rowsAfter, label);
    else if (table === "two_factors" && refusal.chargesFactor)
      expectFactorCharged(rowsBefore, rowsAfter, label);
    else if (table === "password_throttles")
      expect(withoutZeroCounts(rowsAfter), `${label}: ${table}`).toEqual(withoutZeroCounts(rowsBefore));
    else expect(rowsAfter, `${label}: ${table}`).toEqual(rowsBefore);
  }
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

async function documentedOperations(ctx: TestContext): Promise<Operation[]> {
  const document = await call(ctx, "GET", "/api/openapi.json");
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(
    document.body.paths as Record<string, Record<string, unknown>>,
  )) {
    for (const [method, operation] of Object.entries(methods)) {
      const { requestBody, parameters = [] } = operation as {
        requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
        parameters?: { name: string; in: string; schema?: unknown }[];
      };
      const body = requestBody?.content?.["application/json"]?.schema?.properties ?? {};
      const queries = parameters.filter((parameter) => parameter.in === "query");
      const isInstant = (schema: unknown) => JSON.stringify(schema ?? {}).includes('"format":"date-time"');
      operations.push({
        method: method.toUpperCase(),
        path: `/api${path}`,
        fields: Object.keys(body),
        instantFields: [
          ...Object.keys(body).filter((name) => isInstant(body[name])),
          ...queries.filter((parameter) => isInstant(parameter.schema)).map((parameter) => parameter.name),
        ],
        queryParameters: queries.map((parameter) => parameter.name),
      });
    }
  }
  return operations;
}

const fromCharCode = (code: number) => String.fromCharCode(code);
const printableUnit = fc.integer({ min: 0x20, max: 0x7e }).map(fromCharCode);
const printable = fc.string({ unit: printableUnit });
/**
 * S7: code units that storage and parsers treat specially: NUL (PostgreSQL text and jsonb refuse it), lone
 * UTF-16 surrogates (jsonb refuses them; UTF-8 turns them into U+FFFD), other controls, BOM, noncharacters.
 */
const oddCodeUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("\u0000", "\ud800", "\udbff", "\udc00", "\udfff") },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map(fromCharCode) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x1f }).map(fromCharCode) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "\u007f",
      "\u0085",
      "\u2028",
      "\u200b",
      "\ufeff",
      "\ufffe",
      "\uffff",
      "\ud83d\ude00",
    ),
  },
);
/** Printable text with at least one odd code unit in it. */
const oddText = fc
  .tuple(
    fc.string({ unit: printableUnit, maxLength: 12 }),
    oddCodeUnit,
    fc.string({ unit: fc.oneof(printableUnit, oddCodeUnit), maxLength: 12 }),
  )
  .map((parts) => parts.join(""));
const LONE_SURROGATE = /([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/;
/** encodeURIComponent, but a lone surrogate (which it throws on) becomes its three WTF-8 bytes: invalid UTF-8. */
function percentEncode(text: string): string {
  return text
    .split(LONE_SURROGATE)
    .map((part) => {
      if (!LONE_SURROGATE.test(part)) return encodeURIComponent(part);
      const unit = part.charCodeAt(0);
      return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join("");
    })
    .join("");
}

/** What a header can carry: Latin-1 and controls, but no NUL, CR or LF (Node and the Headers API refuse them). */
const headerValue = fc.string({
  unit: fc
    .integer({ min: 1, max: 0xff })
    .filter((code) => code !== 0x0a && code !== 0x0d)
    .map(fromCharCode),
});
const pad = (value: number, width: number) => String(value).padStart(width, "0");
/** S7: ISO 8601 date-times in and out of 1970–9999 UTC: year 0, years before 1000, offsets across a year's end. */
const instantText = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "0000-01-01T00:00:00Z",
      "0000-12-31T23:59:59.999-01:00",
      "0001-01-01T00:00:00+01:00",
      "0001-01-01T00:30:00+14:00",
      "0004-02-29T00:00:00Z",
      "0099-06-15T12:00:00Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00+00:01",
      "9999-12-31T23:59:59-14:00",
      "9999-12-31T23:30:00-00:30",
      "9999-12-31T23:59:59.999Z",
    ),
  },
  fc
    .record({
      year: fc.oneof(
        fc.constantFrom(0, 1, 4, 99, 999, 1969, 1970, 2026, 9999),
        fc.integer({ min: 0, max: 9999 }),
      ),
      month: fc.integer({ min: 1, max: 12 }),
      day: fc.integer({ min: 1, max: 31 }),
      time: fc.tuple(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 59 }),
      ),
      fraction: fc.constantFrom("", ".0", ".123", ".999999", ".0001", ".000000"),
      zone: fc.oneof(
        fc.constant("Z"),
        fc
          .tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 59))
          .map(([sign, hours, minutes]) => `${sign}${pad(hours, 2)}:${pad(minutes, 2)}`),
      ),
    })
    .map(
      ({ year, month, day, time: [hours, minutes, seconds], fraction, zone }) =>
        `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}${fraction}${zone}`,
    ),
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
);
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map(fromCharCode), maxLength: 50 }),
  oddText,
  instantText,
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
  const pathParam = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...valid.ids) },
    { weight: 1, arbitrary: anyText.map(percentEncode) },
    { weight: 1, arbitrary: printable },
  );
  const validValue = (field: string) =>
    field === "email"
      ? fc.oneof(
          fc.constantFrom(...(valid.values.email ?? [])),
          fc.nat().map((n) => `new-${n}@example.com`),
        )
      : fc.constantFrom(...(valid.values[field] ?? [null]));
  /** A wrong value, most often the kind its field is most likely to mishandle. */
  const oddValue = (operation: Operation, field: string) => {
    const isInstant = operation.instantFields.includes(field);
    return fc.oneof(
      { weight: 4, arbitrary: isInstant ? instantText : oddText },
      { weight: 1, arbitrary: isInstant ? oddText : instantText },
      { weight: 1, arbitrary: anyText },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    );
  };
  const fieldValue = (field: string) => fc.oneof(validValue(field), fc.jsonValue({ maxDepth: 3 }), anyText);
  /** Valid fields but one: the odd value gets past the others and reaches the service and the database. */
  const oneFieldOdd = (operation: Operation) =>
    fc
      .record(Object.fromEntries(operation.fields.map((field) => [field, validValue(field)])))
      .chain((body) =>
        fc
          .constantFrom(...operation.fields)
          .chain((field) => oddValue(operation, field).map((value) => ({ ...body, [field]: value }))),
      )
      .map((value) => JSON.stringify(value));
  const body = (operation: Operation) =>
    fc.oneof(
      ...(operation.fields.length > 0 ? [{ weight: 8, arbitrary: oneFieldOdd(operation) }] : []),
      {
        weight: 3,
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
  const queryValue = (operation: Operation, name: string) =>
    operation.instantFields.includes(name)
      ? fc.oneof({ weight: 4, arbitrary: instantText }, oddText, anyText)
      : fc.oneof(anyText, oddText, fc.integer().map(String));
  const query = (operation: Operation) =>
    fc.oneof(
      // One documented parameter alone, so that its value is what the request is judged on.
      ...(operation.queryParameters.length > 0
        ? [
            {
              weight: 3,
              arbitrary: fc
                .constantFrom(...operation.queryParameters)
                .chain((name) => queryValue(operation, name).map((value) => ({ [name]: value }))),
            },
          ]
        : []),
      {
        weight: 2,
        arbitrary: fc.dictionary(
          fc.oneof(fc.constantFrom("limit", "cursor", ...operation.queryParameters), printable),
          fc.oneof(instantText, oddText, anyText, fc.integer().map(String)),
          { maxKeys: 3 },
        ),
      },
    );
  // Mostly JSON, so that bodies get past the content type to their fields.
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/problem+json",
      ),
    },
    { weight: 1, arbitrary: printable },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const operation = fc.oneof(
    ...operations.map((candidate) => ({
      weight: candidate.fields.length + candidate.queryParameters.length > 0 ? 2 : 1,
      arbitrary: fc.constant(candidate),
    })),
  );
  return operation.chain((operation) =>
    fc.record({
      operation: fc.constant(operation),
      params: fc.array(pathParam, { minLength: 2, maxLength: 2 }),
      query: query(operation),
      body:
        operation.method === "GET"
          ? fc.constant(undefined)
          : fc.option(body(operation), { nil: undefined, freq: 10 }),
      contentType,
      extraHeader: fc.option(
        fc.tuple(fc.constantFrom("accept", "x-forwarded-for", "user-agent", "accept-language"), headerValue),
        {
          nil: undefined,
        },
      ),
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** S7: what is accepted is kept as sent: an echoed remark is the one sent, an echoed deadline the same instant. */
function expectKeptAsSent(rawBody: string | undefined, answer: unknown, label: string) {
  let sent: unknown;
  try {
    sent = JSON.parse(rawBody ?? "");
  } catch {
    return;
  }
  if (!isRecord(sent) || !isRecord(answer)) return;
  if (typeof sent.remark === "string") expect(answer.remark, label).toBe(sent.remark);
  if (typeof sent.memberTwoFactorDeadline === "string") {
    const echoed = Date.parse(String(answer.memberTwoFactorDeadline));
    expect(echoed, label).toBe(Date.parse(sent.memberTwoFactorDeadline));
  }
}

async function expectFuzzSafe(caller: "anonymous" | "root" | "member") {
  const root = await createRoot(context);
  const member = await createMember(context, root, { roles: ["administrator"] });
  const other = await createMember(context, root, { roles: ["auditor"] });
  // Members with 2FA, so that removing it (and its audit row's reason) is reachable.
  const enrolled = [];
  for (const roles of [["auditor"], ["project_user"]]) {
    const enrolledMember = await createMember(context, root, { roles });
    await enableTotp(context, enrolledMember.cookie);
    enrolled.push(enrolledMember.id);
  }
  const totpRoot = await createRoot(context);
  await enableTotp(context, totpRoot.cookie);
  const login = await call(context, "POST", "/api/auth/root/login", {
    body: { email: totpRoot.email, password: PASSWORD },
  });
  // S6: a root user who signed up and never verified: its right password answers 401 and mails the link again.
  const unverified = `unverified-${caller}@example.com`;
  await call(context, "POST", "/api/auth/root/signup", { body: { email: unverified, password: PASSWORD } });
  const cookie = caller === "root" ? root.cookie : caller === "member" ? member.cookie : undefined;
  const valid = {
    ids: [other.id, member.id, ...enrolled, login.body.challengeId as string, root.id],
    values: {
      email: [root.email, "new-member@example.com", unverified],
      newEmail: [root.email, "moved-root@example.com", totpRoot.email],
      password: [PASSWORD],
      // §6.2: the password change and the activation.
      currentPassword: [PASSWORD],
      initialPassword: [PASSWORD],
      newPassword: ["a password of my very own"],
      accountId: [root.accountId],
      code: ["123456"],
      token: ["A".repeat(43)],
      method: ["totp", "email"],
      roles: [["auditor"], ["administrator", "auditor"]],
      status: ["active", "disabled"],
      sso: [true, false],
      remark: ["ok"],
      reason: ["Lost phone"],
      allowMemberRecoveryCodes: [true, false],
      requireMemberTwoFactor: [true, false],
      memberTwoFactorDeadline: ["2027-01-01T00:00:00Z", null],
    } as Record<string, unknown[]>,
  };
  // Signing out would end the caller's session for the rest of the run.
  const operations = (await documentedOperations(context)).filter(
    (operation) => caller === "anonymous" || operation.path !== "/api/auth/logout",
  );
  expect(operations.length).toBeGreaterThanOrEqual(18);

  // Only requests change the database: the snapshot after one run is the one before the next.
  let current = await snapshot();
  await fc.assert(
    fc.asyncProperty(fuzzedRequest(operations, valid), async (request) => {
      let index = 0;
      const path = request.operation.path.replace(/\{[^}]+\}/g, () => request.params[index++] ?? "");
      const search = new URLSearchParams(request.query).toString();
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers["content-type"] = request.contentType;
      if (request.extraHeader) headers[request.extraHeader[0]] = request.extraHeader[1];
      const before = current;
      const response = await call(context, request.operation.method, search ? `${path}?${search}` : path, {
        cookie,
        headers,
        rawBody: request.body,
      });
      const label = `${request.operation.method} ${path.slice(0, 120)} → ${response.status} ${JSON.stringify(response.body)?.slice(0, 200)}`;
      expect(response.status, label).toBeLessThan(500);
      const after = await snapshot();
      current = after;
      if (response.status < 400) {
        expectKeptAsSent(request.body, response.body, label);
        return;
      }
      expect(response.headers.get("content-type"), label).toMatch(/^application\/json/);
      // §6.3: a refused new password also names its reason and field.
      const isWeakPassword = response.body?.error?.code === "WEAK_PASSWORD";
      expect(response.body, label).toEqual({
        error: {
          code: expect.any(String),
          message: expect.any(String),
          ...(isWeakPassword && { reason: expect.any(String), field: expect.any(String) }),
        },
      });
      expectOnlyCounted(countedRefusals[response.body.error.code] ?? nothingCounted, before, after, label);
    }),
    { numRuns: RUNS_PER_CALLER, endOnFailure: true },
  );
}

describe("S7 fuzzing every endpoint: never a 5xx, refusals are JSON errors and change nothing, accepted values are kept as sent", () => {
  it.each(["anonymous", "root", "member"] as const)(
    "S7 as %s",
    async (caller) => {
      await expectFuzzSafe(caller);
    },
    // A fixed number of runs, each a real request: the slack of a loaded 2-core machine (it timed out
    // once at 60 s while other files ran beside it), never a bound on how many runs happen.
    180_000,
  );
});
