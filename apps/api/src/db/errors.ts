const UNIQUE_VIOLATION = "23505";
// The transaction was rolled back and may simply be sent again (S7: never a 500 for it).
const CONFLICT_CODES = new Set(["40001", "40P01"]); // serialization failure, deadlock detected
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin shutdown
  "57P02", // crash shutdown
  "57P03", // cannot connect now
  "53300", // too many connections
]);

/** The driver's error codes, through Drizzle's wrapping (`cause`) and AggregateErrors. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const queue = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    if ("code" in current && typeof current.code === "string") codes.push(current.code);
    if ("cause" in current) queue.push(current.cause);
    if ("errors" in current && Array.isArray(current.errors)) queue.push(...current.errors);
  }
  return codes;
}

export function isUniqueViolation(error: unknown): boolean {
  return errorCodes(error).includes(UNIQUE_VIOLATION);
}

export function isDatabaseUnavailable(error: unknown): boolean {
  return errorCodes(error).some((code) => UNAVAILABLE_CODES.has(code) || code.startsWith("08"));
}

/** A deadlock or serialization failure: nothing was changed, the request may be retried. */
export function isTransientConflict(error: unknown): boolean {
  return errorCodes(error).some((code) => CONFLICT_CODES.has(code));
}
