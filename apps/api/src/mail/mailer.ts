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
 * How long a send may wait on the mail server. nodemailer's own defaults (two minutes to connect,
 * ten of silence) would keep a request that mails a code open that long while the server stalls.
 */
export interface SmtpTimeouts {
  socketTimeoutInMs: number;
}
const DEFAULT_TIMEOUTS: SmtpTimeouts = { socketTimeoutInMs: 30_000 };

export function createSmtpMailer(smtpUrl: string, timeouts: SmtpTimeouts = DEFAULT_TIMEOUTS): Mailer {
  // A pool of connections: a notice per wrong sign-in code must not open a connection each.
  const url = new URL(smtpUrl);
  url.searchParams.set("pool", "true");
  const waitInMs = String(timeouts.socketTimeoutInMs);
  const connectInMs = String(Math.min(10_000, timeouts.socketTimeoutInMs));
  url.searchParams.set("connectionTimeout", connectInMs);
  url.searchParams.set("greetingTimeout", connectInMs);
  url.searchParams.set("socketTimeout", waitInMs);
  const transport = nodemailer.createTransport(url.toString());
  return {
    async send(message) {
      await transport.sendMail({ from: FROM, ...message });
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
