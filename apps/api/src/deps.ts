import type { PasswordHashCost } from "./crypto/passwords.js";
import type { KeyRing } from "./crypto/secret-box.js";
import type { Db } from "./db/connect.js";
import type { ConfiguredServiceCredential } from "./services/service-credentials/authenticate.js";

export interface Clock {
  now(): Date;
}

export interface Random {
  bytes(length: number): Uint8Array;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface Settings {
  publicUrl: string;
  sessionTtlInHours: number;
  sessionIdleInMinutes: number;
  trustProxyHops: number;
  /** §8.1: credentials of internal deployments (SERVICE_CREDENTIALS); unset: none. */
  serviceCredentials?: readonly ConfiguredServiceCredential[];
  /** §8.2: introspections per credential per minute (INTROSPECTION_RATE_LIMIT); unset: the domain's limit. */
  introspectionsPerWindow?: number;
  /** §7: accept an http:// OpenID issuer on a loopback address (local trials and tests only). */
  ssoAllowsHttpLoopbackIssuer?: boolean;
}

/** Built once at start-up (main.ts) or per test file, and passed to createApp: nothing is hidden. */
export interface Deps {
  db: Db;
  clock: Clock;
  random: Random;
  /**
   * Mail is queued in the database (services/mail.ts). `noteQueued` is called as a statement queues
   * mail; a request that did so wakes the process's sender after its answer (`wake`).
   */
  outbox: { wake(): void; noteQueued(): void };
  logger: Logger;
  keys: KeyRing;
  /** The production cost (`PASSWORD_HASH_COST`) at start-up; tests of other things use a lighter one. */
  passwordHashCost: PasswordHashCost;
  settings: Settings;
}
