import { connectDatabase } from "./db/connect.js";
import { loadKeyRing } from "./keys.js";
import { createConsoleLogger } from "./logger.js";
import { readEnvOrExit, systemClock, systemRandom } from "./runtime.js";
import { resealSecrets } from "./services/keys/reseal-secrets.js";
import { resealSsoClientSecrets } from "./services/sso/reseal-client-secrets.js";

// S4 key rotation: `pnpm reseal` at the root (`node apps/api/dist/reseal.js`) with the same configuration
// as the API. Exits 1 when a secret cannot be opened, so a key's retirement can be gated on it.
async function main(): Promise<void> {
  const logger = createConsoleLogger();
  const env = readEnvOrExit();
  const database = await connectDatabase({
    databaseUrl: env.DATABASE_URL,
    prepare: env.DATABASE_PREPARE,
    dataDir: env.DATA_DIR,
  });
  try {
    const report = await resealSecrets({
      db: database.db,
      keys: loadKeyRing(env, logger),
      random: systemRandom,
      clock: systemClock,
    });
    // §7.1: the teams' SSO client secrets too.
    const sso = await resealSsoClientSecrets({
      db: database.db,
      keys: loadKeyRing(env, logger),
      random: systemRandom,
    });
    logger.info(`re-sealed ${sso.resealed} SSO client secrets`);
    const unreadable = [...report.factors.unreadable, ...report.setups.unreadable, ...sso.unreadable];
    logger.info(
      `re-sealed ${report.factors.resealed} 2FA secrets and ${report.setups.resealed} pending setups under key "${report.keyId}"`,
      { ...report },
    );
    for (const { keyId, codes, users } of report.recoveryCodesUnderOlderKeys) {
      logger.warn(
        `${codes} unused recovery codes of ${users} users are hashed under key "${keyId}": they stop working when that key is removed (their holders can generate new ones)`,
      );
    }
    if (report.liveEmailCodesUnderOlderKeys > 0) {
      logger.warn(
        `${report.liveEmailCodesUnderOlderKeys} mailed codes under older keys are still live: keep those keys for 10 more minutes`,
      );
    }
    if (unreadable.length > 0) {
      logger.error(
        `ENCRYPTION_KEY_MISSING: ${unreadable.length} secrets cannot be opened with ENCRYPTION_KEYS (their key, named in keyId, is missing); add those keys back (after the first) and run this again`,
        { unreadable },
      );
      process.exitCode = 1;
    }
  } finally {
    await database.close();
  }
}

void main();
