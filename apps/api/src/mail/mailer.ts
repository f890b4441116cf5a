import { appendFileSync, mkdirSync } from "node:fs";
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
}

const FROM = "cloud2fa <no-reply@cloud2fa.local>";

export function createSmtpMailer(smtpUrl: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from: FROM, ...message });
    },
  };
}

/** Without SMTP_URL: every mail goes to the log and to DATA_DIR/mailbox.log, links and codes readable. */
export function createDevMailer(dataDir: string, logger: Logger): Mailer {
  mkdirSync(dataDir, { recursive: true });
  const mailbox = join(dataDir, "mailbox.log");
  return {
    async send(message) {
      const entry = `To: ${message.to}\nSubject: ${message.subject}\n\n${message.text}\n${"-".repeat(60)}\n`;
      appendFileSync(mailbox, entry);
      logger.info(`mail to ${message.to}: ${message.subject}\n${message.text}`);
    },
  };
}
