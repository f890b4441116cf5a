import { afterEach, describe, expect, it } from "vitest";
import { startSmtpServer } from "../test/smtp.js";
import { createSmtpMailer, type Mailer } from "./mailer.js";

const opened: { mailer: Mailer; close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const { mailer, close } of opened.splice(0)) {
    mailer.close?.();
    await close();
  }
});

describe("SMTP mailer", () => {
  it("a stalled mail server fails the send after the socket timeout, not after nodemailer's ten minutes", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { socketTimeoutInMs: 300 });
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    const started = Date.now();
    await expect(mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" })).rejects.toThrow(
      /timeout/i,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    release();
  });

  it("a server that answers gets the message", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { socketTimeoutInMs: 300 });
    opened.push({ mailer, close: smtp.close });
    await mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" });
    expect((await smtp.waitFor("someone@example.com")).subject).toBe("Hello");
  });
});
