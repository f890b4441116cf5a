import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openSecret } from "./crypto/secret-box.js";
import { mailOutbox } from "./db/schema/index.js";
import { createSmtpMailer } from "./mail/mailer.js";
import { type OutboxSenderOptions, retryDelayInSeconds, startOutboxSender } from "./mail/outbox-sender.js";
import { enqueueMail } from "./services/mail.js";
import {
  call,
  codeFrom,
  createRoot,
  PASSWORD,
  silentLogger,
  type TestContext,
  useTestApp,
} from "./test/harness.js";

const context = useTestApp();

/** Another API process's sender on the same database, with a mailer of its own. */
function anotherSender(ctx: TestContext, options: Partial<OutboxSenderOptions> = {}) {
  const mailer = createSmtpMailer(ctx.smtp.url);
  const sender = startOutboxSender(
    { db: ctx.database.db, mailer, keys: ctx.deps.keys, clock: ctx.clock, logger: silentLogger },
    { pollIntervalInMs: null, ...options },
  );
  return {
    drain: sender.drain,
    async stop() {
      await sender.stop();
      mailer.close?.();
    },
  };
}

const outboxRows = () => context.database.db.select().from(mailOutbox);

describe("mail through a durable outbox (issue 13 item 10)", () => {
  it("a stalled mail server delays mail but not answers: the sign-up answers at once, its mail follows", async () => {
    const email = "stalled@example.com";
    const release = context.smtp.hold();
    try {
      const started = Date.now();
      const answer = await call(context, "POST", "/api/auth/root/signup", {
        body: { email, password: PASSWORD },
      });
      expect(answer.status).toBe(202);
      // The mailer's own deadline is 30 s; the answer did not wait for it.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(context.smtp.received).toEqual([]);
    } finally {
      release();
    }
    await context.smtp.waitFor(email, /Verify/, 15_000);
  });

  it("only a request that queued mail wakes the sender, after its answer (the others cost the outbox no statement)", async () => {
    const root = await createRoot(context);
    const woken: string[] = [];
    const sender = context.deps.outbox;
    context.deps.outbox = { ...sender, wake: () => woken.push("wake") };
    try {
      const signedOut = await call(context, "POST", "/api/auth/logout", { cookie: root.cookie });
      expect(signedOut.status).toBe(204);
      expect(woken).toEqual([]);
      const signUp = await call(context, "POST", "/api/auth/root/signup", {
        body: { email: "woken@example.com", password: PASSWORD },
      });
      expect(signUp.status).toBe(202);
      expect(woken).toEqual(["wake"]);
    } finally {
      context.deps.outbox = sender;
    }
    await context.smtp.waitFor("woken@example.com", /Verify/);
  });

  it("a stopped mail server: the answer comes, the mail stays queued; after a restart another process's sender delivers it once", async () => {
    const email = "queued@example.com";
    await context.smtp.stop();
    try {
      const answer = await call(context, "POST", "/api/auth/root/signup", {
        body: { email, password: PASSWORD },
      });
      expect(answer.status).toBe(202);
      const [queued] = await outboxRows();
      expect(queued).toMatchObject({ attempts: 1, sentAt: null, failedAt: null });
      expect(queued?.sealedMessage).not.toBeNull();
      // Not retried before its backoff.
      await context.mailSent();
      expect((await outboxRows())[0]?.attempts).toBe(1);
    } finally {
      await context.smtp.restart();
    }
    context.clock.advance(retryDelayInSeconds(1));
    const next = anotherSender(context);
    await next.drain();
    await next.stop();
    await context.mailSent();
    expect(
      context.smtp.received.filter((mail) => mail.to === email && /Verify/.test(mail.subject)),
    ).toHaveLength(1);
    const [sent] = await outboxRows();
    expect(sent?.sentAt).toEqual(context.clock.now());
    expect(sent?.sealedMessage).toBeNull();
  });

  it("two senders on one database (four, draining at once) never send one mail twice", async () => {
    const recipients = Array.from({ length: 40 }, (_, index) => `many-${index}@example.com`);
    await enqueueMail(
      context.database.db,
      context.deps,
      ...recipients.map((to) => ({ to, subject: "One of many", text: "Hello" })),
    );
    const senders = [0, 1, 2, 3].map(() => anotherSender(context, { batchSize: 3 }));
    await Promise.all(senders.map((sender) => sender.drain()));
    await Promise.all(senders.map((sender) => sender.stop()));
    const delivered = context.smtp.received.map((mail) => mail.to).sort();
    expect(delivered).toEqual([...recipients].sort());
    const [counts] = await context.database.db
      .select({
        sent: sql<number>`count(*) filter (where sent_at is not null)::int`,
        total: sql<number>`count(*)::int`,
      })
      .from(mailOutbox);
    expect(counts).toEqual({ sent: 40, total: 40 });
  });

  it("a queued code is sealed: the outbox row does not show it; delivered later, it still signs in", async () => {
    const root = await createRoot(context);
    await call(context, "POST", "/api/me/two-factor/setup", {
      cookie: root.cookie,
      body: { method: "email", password: PASSWORD },
    });
    const setupCode = codeFrom((await context.smtp.waitFor(root.email, /code/)).text);
    await call(context, "POST", "/api/me/two-factor/setup/confirm", {
      cookie: root.cookie,
      body: { code: setupCode },
    });
    await context.database.db.delete(mailOutbox);

    context.smtp.refuseAll(true);
    const login = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
    });
    expect(login.body.status).toBe("two_factor_required");
    const [queued] = await outboxRows();
    if (!queued?.sealedMessage) throw new Error("no queued mail");
    const opened = openSecret(context.deps.keys, { sealed: queued.sealedMessage, userId: queued.id });
    const code = codeFrom(JSON.parse(opened ?? "{}").text);
    for (const clear of [code, root.email, "cloud2fa"]) expect(queued.sealedMessage).not.toContain(clear);
    // Sealed under its own row: moved to another row, it does not open.
    expect(openSecret(context.deps.keys, { sealed: queued.sealedMessage, userId: "mail_other" })).toBeNull();

    context.smtp.refuseAll(false);
    context.clock.advance(retryDelayInSeconds(1));
    await context.mailSent();
    expect(codeFrom((await context.smtp.waitFor(root.email, /code/)).text)).toBe(code);
    const verified = await call(context, "POST", `/api/auth/challenges/${login.body.challengeId}/verify`, {
      body: { code },
    });
    expect(verified.status).toBe(200);
    const [sent] = await context.database.db.select().from(mailOutbox).where(eq(mailOutbox.id, queued.id));
    expect(sent?.sealedMessage).toBeNull();
  });

  it("a mail refused at every attempt is given up after the last one, its message emptied", async () => {
    await enqueueMail(context.database.db, context.deps, {
      to: "never@example.com",
      subject: "No",
      text: "No",
    });
    context.smtp.refuseAll(true);
    const sender = anotherSender(context, { maxAttempts: 3 });
    try {
      for (let attempt = 1; attempt <= 3; attempt++) {
        await sender.drain();
        context.clock.advance(retryDelayInSeconds(attempt));
      }
    } finally {
      context.smtp.refuseAll(false);
      await sender.stop();
    }
    const [row] = await outboxRows();
    expect(row).toMatchObject({ attempts: 3, sentAt: null, sealedMessage: null });
    expect(row?.failedAt).not.toBeNull();
  });

  it("sent rows are kept a day, then the sender deletes them", async () => {
    await enqueueMail(context.database.db, context.deps, {
      to: "old@example.com",
      subject: "Old",
      text: "Old",
    });
    await context.mailSent();
    context.clock.advance(23 * 60 * 60);
    await enqueueMail(context.database.db, context.deps, {
      to: "new@example.com",
      subject: "New",
      text: "New",
    });
    const first = anotherSender(context);
    await first.drain();
    await first.stop();
    expect(await outboxRows()).toHaveLength(2);
    context.clock.advance(2 * 60 * 60);
    const later = anotherSender(context);
    await later.drain();
    await later.stop();
    const left = await outboxRows();
    expect(left).toHaveLength(1);
    expect(left[0]?.sentAt).toEqual(new Date(context.clock.now().getTime() - 2 * 60 * 60 * 1000));
  });
});
