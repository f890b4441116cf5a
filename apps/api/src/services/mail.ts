import type { Deps } from "../deps.js";
import type { MailMessage } from "../mail/mailer.js";

/** Mail goes out after the transaction commits; a failed send is logged and never undoes the change. */
export async function sendMail(
  deps: Pick<Deps, "mailer" | "logger">,
  ...messages: MailMessage[]
): Promise<void> {
  await Promise.all(
    messages.map(async (message) => {
      try {
        await deps.mailer.send(message);
      } catch (error) {
        deps.logger.error("mail delivery failed", {
          to: message.to,
          error: String(error),
        });
      }
    }),
  );
}
