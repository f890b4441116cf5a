import { type IntrospectionAnswer, MAX_INTROSPECTED_TOKEN_LENGTH } from "@cloud2fa/domain";
import { BoundedCache } from "./cache.js";

export interface IntrospectorOptions {
  /** Where the cloud2fa API is served, e.g. `https://console.example.com` (its `/api/introspect`). */
  apiUrl: string;
  /** A service credential (`c2fsvc_…`) of the team, or one configured with SERVICE_CREDENTIALS. */
  credential: string;
  /** How long an answer is reused: a revoked session is refused by this service within this many seconds. */
  cacheSeconds?: number;
  /** At most this many tokens are remembered (the oldest is forgotten first). */
  cacheSize?: number;
  /** The longest wait for the API; past it the request is answered 503. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** The clock of the cache and of the step-up decision (tests move it). */
  now?: () => Date;
}

export const DEFAULT_CACHE_SECONDS = 5;
export const DEFAULT_CACHE_SIZE = 10_000;
export const DEFAULT_TIMEOUT_MS = 3_000;

/** The API could not answer (timeout, network, 5xx, 429, a refused credential): the request gets a 503. */
export class IntrospectionUnavailable extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface Introspector {
  /** The answer for a token: from the cache when younger than cacheSeconds, unless `fresh`. */
  introspect(token: string, options?: { fresh?: boolean }): Promise<IntrospectionAnswer>;
  now(): Date;
}

const inactive: IntrospectionAnswer = Object.freeze({ active: false });

/** §8.2 from another service: POST /api/introspect with a short bounded cache and a bounded wait. */
export function createIntrospector(options: IntrospectorOptions): Introspector {
  const cacheMs = (options.cacheSeconds ?? DEFAULT_CACHE_SECONDS) * 1000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? (() => new Date());
  const url = `${options.apiUrl.replace(/\/$/, "")}/api/introspect`;
  const cache = new BoundedCache<IntrospectionAnswer>(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const inFlight = new Map<string, Promise<IntrospectionAnswer>>();

  async function ask(token: string): Promise<IntrospectionAnswer> {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${options.credential}`, "content-type": "application/json" },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const isTimeout = error instanceof Error && error.name === "TimeoutError";
      throw new IntrospectionUnavailable(isTimeout ? "introspection timed out" : "introspection failed", 1);
    }
    if (response.status === 200) {
      try {
        return (await response.json()) as IntrospectionAnswer;
      } catch {
        throw new IntrospectionUnavailable("introspection answer unreadable", 1);
      }
    }
    await response.body?.cancel();
    const retryAfter = Number(response.headers.get("retry-after"));
    throw new IntrospectionUnavailable(
      `introspection answered ${response.status}`,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1,
    );
  }

  async function introspect(token: string, { fresh = false } = {}): Promise<IntrospectionAnswer> {
    if (token.length === 0 || token.length > MAX_INTROSPECTED_TOKEN_LENGTH) return inactive;
    const startedMs = now().getTime();
    if (!fresh) {
      const cached = cache.get(token, startedMs);
      if (cached) return cached;
    }
    const pending = inFlight.get(token);
    if (pending && !fresh) return pending;
    const asked = ask(token).then((answer) => {
      // Never past the session's own end: an answer is kept cacheSeconds from when it was asked.
      const endMs = answer.active
        ? Math.min(startedMs + cacheMs, Date.parse(answer.expiresAt))
        : startedMs + cacheMs;
      cache.set(token, answer, endMs);
      return answer;
    });
    inFlight.set(token, asked);
    try {
      return await asked;
    } finally {
      if (inFlight.get(token) === asked) inFlight.delete(token);
    }
  }

  return { introspect, now };
}
