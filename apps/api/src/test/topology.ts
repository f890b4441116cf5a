import { request } from "node:http";
import postgres from "postgres";
import { findExecutable, freePort, startHaproxy, startPgBouncer } from "../../scripts/topology.mjs";
import { connectDatabase, type Database } from "../db/connect.js";
import type { Reply } from "./api-process.js";
import { type ApiInstance, startApiInstances, stopApiInstance } from "./api-process.js";

// HAProxy → API processes → PgBouncer (transaction pooling) → PostgreSQL, each on a free port with
// the configuration of docs/scale-out.md (scripts/topology.mjs). Only in the "postgres" vitest project.

export interface Topology {
  /** The proxy's address: PUBLIC_URL of every API process, and where clients send requests. */
  proxyUrl: string;
  instances: ApiInstance[];
  /** The test's own view of the database, straight to PostgreSQL. */
  database: Database;
  databaseName: string;
  /** The database through PgBouncer, as the API processes are given it (`?pgbouncer=true`). */
  pgBouncerUrl: string;
  /** What PgBouncer logged so far (client logins name their database). */
  pgBouncerOutput(): string;
}

/** Parts started so far, stopped in reverse order by `stop` (also after a start that failed half-way). */
export function createTopology() {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  return {
    async start(input: { count: number; env: Record<string, string> }): Promise<Topology> {
      // A missing part is a failure that says what to install, not a skip: CI installs both.
      findExecutable("pgbouncer");
      findExecutable("haproxy");
      const serverUrl = process.env.DATABASE_URL;
      if (!serverUrl) throw new Error("the topology test needs DATABASE_URL (an admin URL of the server)");
      const databaseName = `c2f_topology_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${databaseName}`);
      await admin.end();
      stops.push(async () => {
        const cleanup = postgres(serverUrl, { max: 1, onnotice: () => {} });
        await cleanup.unsafe(`drop database if exists ${databaseName} with (force)`);
        await cleanup.end();
      });
      const pgBouncer = await startPgBouncer({ postgresUrl: serverUrl });
      stops.push(() => pgBouncer.stop());
      const proxyPort = await freePort();
      const proxyUrl = `http://127.0.0.1:${proxyPort}`;
      // DATABASE_PREPARE is left unset: ?pgbouncer=true in the URL turns named statements off.
      const instances = await startApiInstances(input.count, {
        ...input.env,
        DATABASE_URL: pgBouncer.urlOf(databaseName),
        PUBLIC_URL: proxyUrl,
        TRUST_PROXY: "1",
      });
      stops.push(() => Promise.all(instances.map(stopApiInstance)).then(() => {}));
      const haproxy = await startHaproxy({ port: proxyPort, apiUrls: instances.map((each) => each.url) });
      stops.push(() => haproxy.stop());
      const directUrl = new URL(serverUrl);
      directUrl.pathname = `/${databaseName}`;
      const database = await connectDatabase({ databaseUrl: directUrl.toString(), poolSize: 4 });
      stops.push(() => database.close());
      return {
        proxyUrl,
        instances,
        database,
        databaseName,
        pgBouncerUrl: pgBouncer.urlOf(databaseName),
        pgBouncerOutput: () => pgBouncer.output.join(""),
      };
    },
    stop: stopAll,
  };
}

export interface ProxyReply extends Reply {
  /** The proxy's X-Served-By: which API process answered. */
  servedBy: string | null;
}

/**
 * A request from the loopback address `from` (Linux routes all of 127.0.0.0/8 to lo), so the proxy
 * sees distinct client addresses; each on its own connection, so `from` applies.
 */
export function send(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; from?: string; cookie?: string; headers?: Record<string, string> } = {},
): Promise<ProxyReply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers };
  if (payload !== undefined) headers["content-type"] = "application/json";
  if (options.cookie) headers.cookie = options.cookie;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${base}${path}`,
      { method, headers, localAddress: options.from ?? "127.0.0.1", agent: false, timeout: 60_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const cookieValue = /^([^=]+=[^;]*)/.exec(response.headers["set-cookie"]?.[0] ?? "")?.[1];
          const header = (name: string) => {
            const value = response.headers[name];
            return typeof value === "string" ? value : null;
          };
          let body: ProxyReply["body"] = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            // Not the API's answer (the proxy's own error page): the status tells.
            body = { error: { code: `NOT_JSON ${text.slice(0, 80)}`, message: text } };
          }
          resolve({
            status: response.statusCode ?? 0,
            body,
            cookie: cookieValue && !cookieValue.endsWith("=") ? cookieValue : undefined,
            retryAfter: header("retry-after"),
            servedBy: header("x-served-by"),
          });
        });
        response.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    outgoing.on("error", reject);
    outgoing.end(payload);
  });
}
