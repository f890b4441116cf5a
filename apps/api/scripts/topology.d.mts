export interface Daemon {
  pid: number;
  port: number;
  /** What it wrote to stdout and stderr so far. */
  output: string[];
  stop(): Promise<void>;
}

export function findExecutable(name: string): string;
export function freePort(): Promise<number>;
export function configFromDocs(
  file: "pgbouncer.ini" | "haproxy.cfg",
  values: Record<string, string | number>,
  apiAddresses?: string[],
): string;
export function startPgBouncer(options: {
  postgresUrl: string;
}): Promise<Daemon & { urlOf(database: string): string }>;
export function startHaproxy(options: { port: number; apiUrls: string[] }): Promise<Daemon & { url: string }>;
