import { afterEach, describe, expect, it } from "vitest";
import { startSmtpServer } from "../test/smtp.js";
import { createSmtpMailer, type Mailer } from "./mailer.js";

const opened: { mailer: Mailer; close: () => Promise<void> }[] = [];
// Deadlines with the slack of a loaded 2-core machine running test files in parallel: what these
// tests tell apart is a bounded send against nodemailer's own minutes, not milliseconds.
const SHORT_DEADLINE_IN_MS = 1000;
const LOADED_MACHINE_SLACK_IN_MS = 15_000;
afterEach(async () => {
  for (const { mailer, close } of opened.splice(0)) {
    mailer.close?.();
    await close();
  }
});

describe("SMTP mailer", () => {
  it("a stalled mail server fails the send at its deadline, not after nodemailer's ten minutes", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { deadlineInMs: SHORT_DEADLINE_IN_MS });
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    const started = Date.now();
    await expect(mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" })).rejects.toThrow(
      /not delivered within 1000 ms/,
    );
    expect(Date.now() - started).toBeLessThan(LOADED_MACHINE_SLACK_IN_MS);
    release();
  });

  it("every send has the deadline, also those queued behind the pool's five stalled connections", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { deadlineInMs: SHORT_DEADLINE_IN_MS });
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    const started = Date.now();
    const ended = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        mailer.send({ to: `someone-${index}@example.com`, subject: "Hello", text: "Hi" }).then(
          () => "sent",
          () => Date.now() - started,
        ),
      ),
    );
    release();
    // Queued behind five stalled connections, a send without its own deadline would wait for theirs.
    for (const elapsedInMs of ended) expect(elapsedInMs).toBeLessThan(LOADED_MACHINE_SLACK_IN_MS);
  });

  it("the operator's own timeouts in SMTP_URL are kept", async () => {
    const smtp = await startSmtpServer();
    // The product's deadline is far off, so only the operator's socketTimeout can end this send.
    const mailer = createSmtpMailer(`${smtp.url}?socketTimeout=200`, { deadlineInMs: 120_000 });
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    const started = Date.now();
    const failure = mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" });
    await expect(failure).rejects.toThrow(/timeout/i);
    await expect(failure).rejects.not.toThrow(/not delivered within/);
    expect(Date.now() - started).toBeLessThan(LOADED_MACHINE_SLACK_IN_MS);
    release();
  });

  it("a server that answers gets the message", async () => {
    const smtp = await startSmtpServer();
    // The product's own deadline: a loaded machine may take a while to answer, never 30 s.
    const mailer = createSmtpMailer(smtp.url);
    opened.push({ mailer, close: smtp.close });
    await mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" });
    expect((await smtp.waitFor("someone@example.com")).subject).toBe("Hello");
  });
});
