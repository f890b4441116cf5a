import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { errorBody } from "./errors.js";

/**
 * S7: a body over `maxSize` bytes is refused with 413. With a Content-Length (every request of the
 * web apps and of ordinary clients) the header decides and the body stays unread until a validator
 * asks for it, so @hono/node-server reads it straight off the socket. Hono's own `bodyLimit` touches
 * `request.body`, which makes the server build a full web Request and stream: a tenth of a code
 * verification's CPU (bench/README.md). A chunked body is counted by `bodyLimit` as it arrives.
 */
export function limitBodySize(maxSize: number) {
  const counted = bodyLimit({
    maxSize,
    onError: (c) => c.json(errorBody("PAYLOAD_TOO_LARGE"), 413),
  });
  return createMiddleware(async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length === undefined || c.req.header("transfer-encoding") !== undefined) return counted(c, next);
    if (Number.parseInt(length, 10) > maxSize) return c.json(errorBody("PAYLOAD_TOO_LARGE"), 413);
    return next();
  });
}
