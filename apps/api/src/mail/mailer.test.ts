import { afterEach, describe, expect, it } from "vitest";
import { startSmtpServer } from "../test/smtp.js";
import { createSmtpMailer, type Mailer, trackSends } from "./mailer.js";

const opened: { mailer: Mailer; close: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const { mailer, close } of opened.splice(0)) {
    mailer.close?.();
    await close();
  }
});

describe("SMTP mailer", () => {
  it("a stalled mail server fails the send at its deadline, not after nodemailer's ten minutes", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { deadlineInMs: 300 });
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    const started = Date.now();
    await expect(mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" })).rejects.toThrow(
      /not delivered within 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
    release();
  });

  it("every send has the deadline, also those queued behind the pool's five stalled connections", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { deadlineInMs: 500 });
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
    for (const elapsedInMs of ended) expect(elapsedInMs).toBeLessThan(1500);
  });

  it("the operator's own timeouts in SMTP_URL are kept", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(`${smtp.url}?socketTimeout=200`, { deadlineInMs: 5000 });
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    const started = Date.now();
    await expect(mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" })).rejects.toThrow(
      /timeout/i,
    );
    expect(Date.now() - started).toBeLessThan(2000);
    release();
  });

  it("trackSends: sent() resolves once the sends in flight have ended", async () => {
    const smtp = await startSmtpServer();
    const mailer = trackSends(createSmtpMailer(smtp.url, { deadlineInMs: 5000 }));
    opened.push({ mailer, close: smtp.close });
    const release = smtp.hold();
    void mailer.send({ to: "late@example.com", subject: "Late", text: "Hi" });
    let isSent = false;
    const sent = mailer.sent().then(() => {
      isSent = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(isSent).toBe(false);
    release();
    await sent;
    expect(smtp.received.map((mail) => mail.to)).toEqual(["late@example.com"]);
  });

  it("a server that answers gets the message", async () => {
    const smtp = await startSmtpServer();
    const mailer = createSmtpMailer(smtp.url, { deadlineInMs: 300 });
    opened.push({ mailer, close: smtp.close });
    await mailer.send({ to: "someone@example.com", subject: "Hello", text: "Hi" });
    expect((await smtp.waitFor("someone@example.com")).subject).toBe("Hello");
  });
});
