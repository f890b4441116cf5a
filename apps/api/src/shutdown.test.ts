import { createHash } from "node:crypto";
import { generateTotpCode } from "@cloud2fa/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiInstance, post, sleep, startApiInstances, stopApiInstance } from "./test/api-process.js";
import { createRoot, PASSWORD } from "./test/api-users.js";
import { createTestDatabase } from "./test/database.js";
import { type SmtpServer, startSmtpServer } from "./test/smtp.js";

// Only in the "postgres" vitest project (see vitest.config.ts): a real API process, stopped with SIGTERM.

const ENCRYPTION_KEYS = `k1:${createHash("sha256").update("cloud2fa shutdown key").digest("base64")}`;

describe("R11 stopping the API keeps the notices of the answers it gave", () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let smtp: SmtpServer | undefined;
  let api: ApiInstance | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await startSmtpServer();
    if (!database.url) throw new Error("the postgres project must provide a database URL");
    [api] = await startApiInstances(1, { DATABASE_URL: database.url, ENCRYPTION_KEYS, SMTP_URL: smtp.url });
  }, 120_000);

  afterAll(async () => {
    await stopApiInstance(api);
    await smtp?.close();
    await database?.close();
  });

  it("SIGTERM right after 2FA is enabled: the process waits for the stalled mail server, mails the notice, exits 0", async () => {
    if (!api || !smtp) throw new Error("not started");
    const email = "shutdown-root@example.com";
    const cookie = await createRoot(api.url, smtp, email);
    const setup = await post(
      api.url,
      "/api/me/two-factor/setup",
      { method: "totp", password: PASSWORD },
      { cookie },
    );
    expect(setup.status).toBe(200);

    const release = smtp.hold();
    const confirmed = await post(
      api.url,
      "/api/me/two-factor/setup/confirm",
      { code: generateTotpCode({ secret: setup.body?.secret ?? "", at: new Date() }) },
      { cookie },
    );
    expect(confirmed.status).toBe(200);
    const exited = new Promise<number | null>((resolve) =>
      api?.process.once("exit", (code) => resolve(code)),
    );
    api.process.kill("SIGTERM");
    await sleep(500);
    expect(smtp.received.filter((mail) => /enabled/.test(mail.subject))).toHaveLength(0);
    release();
    expect(await exited).toBe(0);
    expect((await smtp.waitFor(email, /Two-factor authentication enabled/, 20_000)).to).toBe(email);
  }, 60_000);
});
