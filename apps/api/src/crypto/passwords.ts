import { hash, verify } from "@node-rs/argon2";

// S6: argon2id (the library's default algorithm) with OWASP's first recommendation: m=19 MiB, t=2, p=1.
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Runs on libuv's thread pool, off the event loop. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | null = null;

/** S6: an unknown email costs the same argon2 work as a wrong password. */
export async function burnPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hash("cloud2fa-timing-equaliser", options);
  await verifyPassword(await dummyHash, password);
  return false;
}
