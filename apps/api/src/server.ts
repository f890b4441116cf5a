import { serve } from "@hono/node-server";
import { createApp } from "./app.js";
import { PASSWORD_HASH_COST } from "./crypto/passwords.js";
import { hashToken } from "./crypto/tokens.js";
import { connectDatabase } from "./db/connect.js";
import type { Clock, Deps } from "./deps.js";
import { loadKeyRing } from "./keys.js";
import { createConsoleLogger } from "./logger.js";
import { createDevMailer, createSmtpMailer } from "./mail/mailer.js";
import { startOutboxSender } from "./mail/outbox-sender.js";
import { startPruneSchedule } from "./prune-schedule.js";
import { readEnvOrExit, systemRandom } from "./runtime.js";
import { mountWebApps } from "./web.js";

const SHUTDOWN_GRACE_IN_MS = 10_000;

/**
 * The product's server: configuration from the environment, the embedded or PostgreSQL database,
 * mail, the API and both web apps on one port. `main.js` runs it on the system clock; the browser
 * journeys run this same server on a clock they move.
 */
export async function runServer(clock: Clock): Promise<void> {
  const logger = createConsoleLogger();
  const env = readEnvOrExit();
  const database = await connectDatabase({
    databaseUrl: env.DATABASE_URL,
    prepare: env.DATABASE_PREPARE,
    dataDir: env.DATA_DIR,
  });
  const mailer = env.SMTP_URL ? createSmtpMailer(env.SMTP_URL) : createDevMailer(env.DATA_DIR, logger);
  const keys = loadKeyRing(env, logger);
  const outbox = startOutboxSender({ db: database.db, mailer, keys, clock, logger });
  const deps: Deps = {
    db: database.db,
    clock,
    random: systemRandom,
    outbox,
    logger,
    keys,
    passwordHashCost: PASSWORD_HASH_COST,
    settings: {
      publicUrl: env.PUBLIC_URL,
      sessionTtlInHours: env.SESSION_TTL_HOURS,
      sessionIdleInMinutes: env.SESSION_IDLE_MINUTES,
      trustProxyHops: env.TRUST_PROXY,
      serviceCredentials: (env.SERVICE_CREDENTIALS ?? []).map(({ secret, ...credential }) => ({
        ...credential,
        secretHash: hashToken(secret),
      })),
      introspectionsPerWindow: env.INTROSPECTION_RATE_LIMIT,
      ssoAllowsHttpLoopbackIssuer: env.SSO_ALLOW_HTTP_LOOPBACK_ISSUER === "1",
    },
  };
  const app = createApp(deps);
  const pruning = startPruneSchedule(deps);
  mountWebApps(app, env.WEB_DIST_DIR, logger);
  const server = serve({ fetch: app.fetch, port: env.PORT }, (info) => {
    logger.info(
      `cloud2fa listening on http://localhost:${info.port} (${database.kind}); links use ${env.PUBLIC_URL}`,
    );
    if (!env.SMTP_URL) logger.info(`mail is printed here and kept in ${env.DATA_DIR}/mailbox.log`);
  });
  // Stop taking requests, let those in flight answer (at most SHUTDOWN_GRACE_IN_MS), try once more to
  // send what they queued (R11: an answered change keeps its notice; each send has its deadline, and
  // what does not go out stays in the outbox for the next process), then close the database.
  const stop = () => {
    const pruned = pruning.stop();
    const answered = new Promise<void>((resolve) => server.close(() => resolve()));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_IN_MS).unref());
    void Promise.race([answered, grace])
      .then(() => outbox.stop())
      .then(() => mailer.close?.())
      .then(() => pruned)
      .finally(() => database.close())
      .finally(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
