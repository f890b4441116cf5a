import { availableParallelism } from "node:os";
import { hash, verify } from "@node-rs/argon2";
import { AppError } from "../http/errors.js";

/** argon2id's memory (KiB) and passes; one lane. Injected (`deps.passwordHashCost`), like the clock. */
export interface PasswordHashCost {
  memoryCost: number;
  timeCost: number;
}

/** S6: argon2id (the library's default algorithm) with OWASP's first recommendation: m=19 MiB, t=2, p=1. */
export const PASSWORD_HASH_COST: PasswordHashCost = { memoryCost: 19_456, timeCost: 2 };

const optionsOf = (cost: PasswordHashCost) => ({ ...cost, parallelism: 1 });

/**
 * Hashes run on libuv's thread pool, off the event loop; at most one per core but one, so a burst
 * of sign-ins cannot starve the event loop (and every other request) of CPU.
 */
const HASHING_THREADS = Math.max(1, availableParallelism() - 1);

/**
 * The waiting hashes, by client address, taken in turn (round robin), so a burst from one address
 * delays another address's sign-in by at most one hash per thread, however much of it waits.
 */
const waitingByAddress = new Map<string, (() => void)[]>();
let running = 0;

function startNext(): void {
  while (running < HASHING_THREADS) {
    const next = waitingByAddress.entries().next();
    if (next.done) return;
    const [address, waiting] = next.value;
    const start = waiting.shift();
    waitingByAddress.delete(address);
    if (waiting.length > 0) waitingByAddress.set(address, waiting); // to the back of the round
    if (start) {
      running++;
      start();
    }
  }
}

function hashing<T>(address: string | null, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const key = address ?? "";
    const waiting = waitingByAddress.get(key) ?? [];
    waiting.push(() => {
      Promise.resolve()
        .then(work)
        .then(resolve, reject)
        .finally(() => {
          running--;
          startNext();
        });
    });
    waitingByAddress.set(key, waiting);
    startNext();
  });
}

/**
 * Issue 13: at most this many hashes wait or run at once in this process (about a second of work:
 * 40 ms each on this 2-core machine), and at most this many for one client address, so a burst from
 * one address cannot fill the queue for everyone else. Beyond either: 503 SERVER_BUSY.
 */
export const MAX_PENDING_PASSWORD_HASHES = 32 * HASHING_THREADS;
export const MAX_PENDING_PASSWORD_HASHES_PER_ADDRESS = 4 * HASHING_THREADS;
export const SERVER_BUSY_RETRY_AFTER_IN_SECONDS = 1;

let pending = 0;
const pendingByAddress = new Map<string, number>();

/** A place in the hash queue, for one hash; given back when it ends, or by `release` if none runs. */
export interface PasswordHashSlot {
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** S6: an unknown email costs the same argon2 work as a wrong password. */
  burn(password: string): Promise<false>;
  hash(password: string): Promise<string>;
  release(): void;
}

/** S6: one hash per cost to check an unknown email's password against. */
const dummyHashes = new Map<string, Promise<string>>();

/**
 * A place in the queue for one password hash, taken before anything is charged for it; 503
 * SERVER_BUSY with Retry-After when the process or the client address has its fill waiting.
 */
export function admitPasswordHash(clientAddress: string | null, cost: PasswordHashCost): PasswordHashSlot {
  const options = optionsOf(cost);
  const ofAddress = clientAddress === null ? 0 : (pendingByAddress.get(clientAddress) ?? 0);
  if (pending >= MAX_PENDING_PASSWORD_HASHES || ofAddress >= MAX_PENDING_PASSWORD_HASHES_PER_ADDRESS) {
    throw new AppError("SERVER_BUSY", { retryAfterSeconds: SERVER_BUSY_RETRY_AFTER_IN_SECONDS });
  }
  pending++;
  if (clientAddress !== null) pendingByAddress.set(clientAddress, ofAddress + 1);
  let isHeld = true;
  const release = () => {
    if (!isHeld) return;
    isHeld = false;
    pending--;
    if (clientAddress === null) return;
    const left = (pendingByAddress.get(clientAddress) ?? 1) - 1;
    if (left > 0) pendingByAddress.set(clientAddress, left);
    else pendingByAddress.delete(clientAddress);
  };
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await hashing(clientAddress, work);
    } finally {
      release();
    }
  };
  const check = (passwordHash: string, password: string) =>
    run(() => verify(passwordHash, password)).catch(() => false);
  return {
    verify: check,
    async burn(password) {
      const key = `${cost.memoryCost}:${cost.timeCost}`;
      const dummyHash =
        dummyHashes.get(key) ?? hashing(null, () => hash("cloud2fa-timing-equaliser", options));
      dummyHashes.set(key, dummyHash);
      await check(await dummyHash, password);
      return false;
    },
    hash: (password) => run(() => hash(password, options)),
    release,
  };
}

/** A hash with no client address to count it by (sign-up, invitation): the process's bound only. */
export function hashPassword(password: string, cost: PasswordHashCost): Promise<string> {
  return admitPasswordHash(null, cost).hash(password);
}

export function verifyPassword(
  passwordHash: string,
  password: string,
  cost: PasswordHashCost,
): Promise<boolean> {
  return admitPasswordHash(null, cost).verify(passwordHash, password);
}
