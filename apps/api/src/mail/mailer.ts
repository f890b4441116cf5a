import { mkdirSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import nodemailer from "nodemailer";
import type { Logger } from "../deps.js";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Closes pooled connections (tests and shutdown). */
  close?(): void;
}

const FROM = "cloud2fa <no-reply@cloud2fa.local>";

/**
 * How long one send may take, queue included. nodemailer's own limits (two minutes to connect, ten
 * of silence, none in its pool's queue) would keep a request that mails a code open that long while
 * the server stalls, and a shutdown waiting for its notices too.
 */
export interface SmtpLimits {
  deadlineInMs: number;
}
const DEFAULT_LIMITS: SmtpLimits = { deadlineInMs: 30_000 };

export function createSmtpMailer(smtpUrl: string, limits: SmtpLimits = DEFAULT_LIMITS): Mailer {
  // A pool of connections: a notice per wrong sign-in code must not open a connection each.
  const url = new URL(smtpUrl);
  url.searchParams.set("pool", "true");
  // The connection's own timeouts, unless SMTP_URL sets them (a slow relay, say).
  const connectInMs = Math.min(10_000, limits.deadlineInMs);
  const timeouts = {
    connectionTimeout: connectInMs,
    greetingTimeout: connectInMs,
    socketTimeout: limits.deadlineInMs,
  };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!url.searchParams.has(name)) url.searchParams.set(name, String(value));
  }
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(message) {
      // A send still queued or stalled at the deadline is given up on here (nodemailer cannot
      // withdraw it; it may still go out). The outbox sender logs the failure and retries later.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`mail not delivered within ${limits.deadlineInMs} ms`)),
          limits.deadlineInMs,
        );
      });
      try {
        await Promise.race([transport.sendMail({ from: FROM, ...message }), deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => transport.close(),
  };
}

/** Without SMTP_URL: every mail goes to the log and to DATA_DIR/mailbox.log, links and codes readable. */
export function createDevMailer(dataDir: string, logger: Logger): Mailer {
  mkdirSync(dataDir, { recursive: true });
  const mailbox = join(dataDir, "mailbox.log");
  return {
    async send(message) {
      const entry = `To: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n${"-".repeat(60)}\n`;
      await appendFile(mailbox, entry);
      logger.info(`mail to ${message.to}: ${message.subject}\n${message.text}`);
    },
  };
}
