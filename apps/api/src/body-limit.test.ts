import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_BODY_BYTES } from "@cloud2fa/domain";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRoot, PASSWORD, useTestApp } from "./test/harness.js";

// S7 over a real socket: app.request (the other tests) never sends a Content-Length, so the header
// path of limitBodySize is only reached through @hono/node-server, as in production.
const context = useTestApp();
let port = 0;
let close: () => void = () => {};

beforeAll(async () => {
  const server = serve({ fetch: context.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  port = (server.address() as AddressInfo).port;
  close = () => server.close();
});
afterAll(() => close());

interface Sent {
  status: number;
  body: { error?: { code: string }; status?: string };
}

/**
 * Sends `chunks` as the body: with the Content-Length `length`, or (null) chunked, as node does without
 * one. A connection of its own each time: a refused body is left unread on the socket.
 */
function send(path: string, chunks: string[], length: number | null): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (length !== null) headers["content-length"] = length;
    const outgoing = httpRequest(
      { host: "127.0.0.1", port, path, method: "POST", headers, agent: false },
      (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    outgoing.on("error", reject);
    // A refused body may be cut short by the server: what was written before the answer is enough.
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

const login = (email: string) => JSON.stringify({ email, password: PASSWORD });

describe("S7: body size limit on the node server", () => {
  it("S7: a Content-Length above the limit is refused with 413 before the body is read", async () => {
    const reply = await send("/api/auth/root/login", ["{}"], MAX_BODY_BYTES + 1);
    expect(reply).toEqual({
      status: 413,
      body: expect.objectContaining({ error: expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }) }),
    });
  });

  it("S7: a chunked body that grows over the limit is refused with 413", async () => {
    const reply = await send("/api/auth/root/login", ["[", " ".repeat(MAX_BODY_BYTES), "]"], null);
    expect(reply.status).toBe(413);
    expect(reply.body.error?.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("S7: malformed JSON with a Content-Length is a 400, as without one", async () => {
    const reply = await send("/api/auth/root/login", ["{nope"], 5);
    expect(reply.status).toBe(400);
    expect(reply.body.error?.code).toBe("VALIDATION_FAILED");
  });

  it("a body within the limit reaches the route, with a Content-Length or chunked", async () => {
    const root = await createRoot(context, "body-limit@example.com");
    const body = login(root.email);
    const sized = await send("/api/auth/root/login", [body], Buffer.byteLength(body));
    const chunked = await send("/api/auth/root/login", [body.slice(0, 10), body.slice(10)], null);
    expect(sized.status).toBe(200);
    expect(sized.body.status).toBe("authenticated");
    expect(chunked.status).toBe(200);
    expect(chunked.body.status).toBe("authenticated");
  });
});
