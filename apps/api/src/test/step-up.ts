import { generateTotpCode, STEP_UP_TTL_IN_SECONDS } from "@cloud2fa/domain";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { expect } from "vitest";
import * as schema from "../db/schema/index.js";
import { type ApiResponse, call, codeFrom, PASSWORD, type TestContext } from "./harness.js";

export { wrongTotp } from "./harness.js";

// Step-up test helpers: a stale session, whole-database snapshots, and a TOTP enrolment that keeps
// the recovery codes.

/** Every row of every table, so a refused request can be shown to have changed nothing. */
export async function snapshot(context: TestContext): Promise<Record<string, string[]>> {
  const tables = (Object.values(schema) as unknown[]).filter((value): value is PgTable => is(value, PgTable));
  const result: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = await context.deps.db.select().from(table);
    result[getTableName(table)] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return result;
}

/** Moves the clock past the step-up window, then touches each session so its last-seen time settles. */
export async function makeStale(
  context: TestContext,
  cookies: string[],
  seconds = STEP_UP_TTL_IN_SECONDS + 1,
) {
  context.clock.advance(seconds);
  for (const cookie of cookies) expect((await call(context, "GET", "/api/me", { cookie })).status).toBe(200);
}

export function expectStepUpRequired(response: ApiResponse) {
  expect(response.status).toBe(403);
  expect(response.body.error.code).toBe("STEP_UP_REQUIRED");
}

export function stepUp(context: TestContext, cookie: string, code: string) {
  return call(context, "POST", "/api/me/step-up", { cookie, body: { code } });
}

/** Start and confirm a TOTP setup; returns the secret and the recovery codes of the answer. */
export async function enableTotpWithRecoveryCodes(context: TestContext, cookie: string) {
  const started = await call(context, "POST", "/api/me/two-factor/setup", {
    cookie,
    body: { method: "totp", password: PASSWORD },
  });
  const secret = started.body.secret as string;
  const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
    cookie,
    body: { code: generateTotpCode({ secret, at: context.clock.now() }) },
  });
  expect(confirmed.status).toBe(200);
  return { secret, recoveryCodes: (confirmed.body.recoveryCodes ?? []) as string[] };
}

/** Runs `send` and returns the six-digit code of the next mail to `to` it produced. */
export async function mailedCode(context: TestContext, to: string, send: () => Promise<unknown>) {
  const mailsTo = () => context.smtp.received.filter((mail) => mail.to === to);
  const seen = mailsTo().length;
  await send();
  for (let tries = 0; tries < 100; tries++) {
    const mails = mailsTo();
    const mail = mails[seen];
    if (mail) return codeFrom(mail.text);
    await context.smtp.waitFor(to, /./, 100).catch(() => undefined);
  }
  throw new Error(`no new mail to ${to}`);
}
