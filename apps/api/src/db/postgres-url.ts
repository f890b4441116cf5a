/** The query parameter that marks a DATABASE_URL as PgBouncer's (Prisma's spelling); it is ours, not PostgreSQL's. */
const PGBOUNCER_PARAMETER = "pgbouncer";

/**
 * A DATABASE_URL without the `pgbouncer` parameter (postgres.js would send it to the server as a
 * run-time setting, which PostgreSQL and PgBouncer refuse), and what the parameter said: true for
 * `?pgbouncer=true`, false for `=false`, undefined when absent or anything else.
 */
export function readPostgresUrl(databaseUrl: string): { url: string; isPgBouncer: boolean | undefined } {
  const start = databaseUrl.indexOf("?");
  if (start === -1) return { url: databaseUrl, isPgBouncer: undefined };
  const query = new URLSearchParams(databaseUrl.slice(start + 1));
  const mark = query.get(PGBOUNCER_PARAMETER);
  if (mark === null) return { url: databaseUrl, isPgBouncer: undefined };
  query.delete(PGBOUNCER_PARAMETER);
  const rest = query.toString();
  const url = `${databaseUrl.slice(0, start)}${rest ? `?${rest}` : ""}`;
  return { url, isPgBouncer: mark === "true" ? true : mark === "false" ? false : undefined };
}
