import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
}

/** A real SMTP server on a free loopback port that keeps what it receives. */
export async function startSmtpServer() {
  const received: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  // While held, no MAIL FROM is answered: a stalled mail server, which has none of the message yet.
  let held: Promise<void> | null = null;
  // While refusing, every message is refused at MAIL FROM with a permanent error (550).
  let isRefusing = false;
  const createServer = () =>
    new SMTPServer({
      authOptional: true,
      // Pooled clients keep idle connections: do not wait 30 s for them when a test file ends.
      closeTimeout: 500,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onMailFrom(_address, _session, callback) {
        if (isRefusing) {
          const refused = Object.assign(new Error("mailbox unavailable"), { responseCode: 550 });
          callback(refused);
        } else if (held) void held.then(() => callback());
        else callback();
      },
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((parsed: ParsedMail) => {
            const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
            received.push({ to: to ?? "", subject: parsed.subject ?? "", text: parsed.text ?? "" });
            for (const wake of waiters.splice(0)) wake();
            callback();
          })
          .catch(callback);
      },
    });
  // A client that drops its connection mid-message (an API process stopped by a test) is the
  // client's failure: a real mail server logs it and goes on, so does this one. Without a listener
  // smtp-server's "error" event would be an uncaught exception in the test run.
  const listen = async (onPort: number) => {
    const started = createServer();
    started.on("error", () => {});
    await new Promise<void>((resolve) => started.listen(onPort, "127.0.0.1", resolve));
    return started;
  };
  let server: SMTPServer | null = await listen(0);
  const address = server.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const stop = () =>
    new Promise<void>((resolve) => {
      const stopping = server;
      server = null;
      if (stopping) stopping.close(() => resolve());
      else resolve();
    });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    clear: () => received.splice(0),
    isHeld: () => held !== null,
    /** Refuse every message from now on (true), or accept again (false). */
    refuseAll(refusing: boolean) {
      isRefusing = refusing;
    },
    /** Stall the server (no message is accepted) until the returned function is called. */
    hold(): () => void {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = () => {
          held = null;
          resolve();
        };
      });
      return release;
    },
    /** The newest mail to `to` whose subject matches, waiting briefly for it to arrive. */
    async waitFor(to: string, subject: RegExp = /./, timeoutInMs = 20_000): Promise<ReceivedMail> {
      const deadline = Date.now() + timeoutInMs;
      for (;;) {
        const found = received.filter((mail) => mail.to === to && subject.test(mail.subject)).at(-1);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    /** A stopped mail server: nothing listens on its port until `restart`. */
    stop,
    /** Listen again on the same port, keeping what was received. */
    async restart() {
      if (!server) server = await listen(port);
    },
    close: stop,
  };
}

export type SmtpServer = Awaited<ReturnType<typeof startSmtpServer>>;
