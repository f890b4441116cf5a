import { describe, expect, it } from "vitest";
import { call, createRoot, PASSWORD, useTestApp } from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });
const from = (address: string) => ({ "x-forwarded-for": address });

describe("S3 password throttling per client address", () => {
  it("S3 many people behind one address signing in at once are not refused for each other", async () => {
    const roots = [];
    for (let index = 0; index < 12; index++) roots.push(await createRoot(context));
    const attempts = await Promise.all(
      roots.flatMap((root) =>
        Array.from({ length: 5 }, () =>
          call(context, "POST", "/api/auth/root/login", {
            body: { email: root.email, password: PASSWORD },
            headers: from("203.0.113.7"),
          }),
        ),
      ),
    );
    expect(attempts.map((attempt) => attempt.status)).toEqual(attempts.map(() => 200));
  });

  it("S3 after 50 wrong passwords from one address across accounts → 429 with Retry-After, other addresses unaffected", async () => {
    const root = await createRoot(context);
    for (let index = 0; index < 50; index++) {
      const wrong = await call(context, "POST", "/api/auth/root/login", {
        body: { email: `nobody-${index}@example.com`, password: "wrong password" },
        headers: from("198.51.100.9"),
      });
      expect(wrong.status).toBe(401);
    }
    const refused = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
      headers: from("198.51.100.9"),
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(refused.headers.get("retry-after"))).toBe(15 * 60);
    const elsewhere = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
      headers: from("198.51.100.10"),
    });
    expect(elsewhere.status).toBe(200);
    context.clock.advance(15 * 60);
    const later = await call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
      headers: from("198.51.100.9"),
    });
    expect(later.status).toBe(200);
  });
});
