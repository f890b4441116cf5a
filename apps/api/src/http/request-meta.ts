import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { RequestMeta } from "../services/context.js";

/** "::ffff:127.0.0.1" is how a dual-stack socket writes an IPv4 client; people write "127.0.0.1". */
export function readableClientAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** TRUST_PROXY hops: the address that many entries from the right of X-Forwarded-For, else the socket. */
export function clientAddressOf(c: Context, trustProxyHops: number): string | null {
  if (trustProxyHops > 0) {
    const chain = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean);
    const candidate = chain[chain.length - trustProxyHops];
    if (candidate && candidate.length <= 64) return readableClientAddress(candidate);
  }
  try {
    const address = getConnInfo(c).remote.address;
    return address ? readableClientAddress(address) : null;
  } catch {
    return null;
  }
}

export function requestMetaOf(c: Context, trustProxyHops: number): RequestMeta {
  return {
    clientAddress: clientAddressOf(c, trustProxyHops),
    userAgent: c.req.header("user-agent") ?? null,
  };
}
