import { randomBytes } from "node:crypto";
import type { Clock, Random } from "./deps.js";
import { type Env, readEnv } from "./env.js";

// The only real clock and randomness of the product (the server and its commands); tests inject their own.
export const systemClock: Clock = { now: () => new Date() };
export const systemRandom: Random = { bytes: (length) => new Uint8Array(randomBytes(length)) };

/** The validated configuration, or the message that names the bad variable and exit code 1. */
export function readEnvOrExit(): Env {
  try {
    return readEnv();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
