import { describe, expect, it } from "vitest";
import type { Logger } from "./deps.js";
import {
  call,
  codeFrom,
  createMember,
  createRoot,
  PASSWORD,
  PUBLIC_URL,
  useTestApp,
} from "./test/harness.js";

// Every line the app logs, message and fields as an operator's log would show them.
const lines: string[] = [];
const logLine =
  (level: string) =>
  (message: string, fields?: Record<string, unknown>): void => {
    lines.push(`${level} ${message} ${fields ? JSON.stringify(fields) : ""}`);
  };
const logger: Logger = { info: logLine("info"), warn: logLine("warn"), error: logLine("error") };

const context = useTestApp({ logger });

describe("live codes in the error log (issue 13 item 4)", () => {
  it("with a mail server that refuses everything, no code, token or link appears in any log line", async () => {
    const root = await createRoot(context);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    const setupCode = codeFrom((await context.smtp.waitFor(root.email, /code/)).text);
    const confirmed = await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: setupCode },
    });
    expect(confirmed.status).toBe(200);

    context.smtp.refuseAll(true);
    lines.splice(0);
    // Every kind of mail that carries a code, a token or a link, and the notices besides.
    await call(context, "POST", "/api/auth/root/signup", {
      body: { email: "newcomer@example.com", password: PASSWORD },
    });
    await call(context, "POST", "/api/auth/root/signup", { body: { email: root.email, password: PASSWORD } });
    await createMember(context, root, { activate: false });
    await call(context, "POST", "/api/me/two-factor/code", { cookie: root.cookie });
    context.clock.advance(60);
    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.body.status).toBe("two_factor_required");
    context.clock.advance(60);
    const resent = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/resend`);
    expect(resent.status).toBe(202);
    const wrong = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code: setupCode },
    });
    expect(wrong.status).toBe(400);
    await context.mailSent();

    expect(context.smtp.received.filter((mail) => mail.to === "newcomer@example.com")).toEqual([]);
    // The refusals were logged (so the scan below has lines to read), each without the secret it carried.
    expect(lines.filter((line) => /mail/.test(line)).length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      expect(line).not.toMatch(/(?<![0-9])[0-9]{6}(?![0-9])/);
      expect(line).not.toMatch(/token=/i);
      expect(line).not.toContain(PUBLIC_URL);
      expect(line).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    }
  });
});
