import { describe, expect, it } from "vitest";
import { call, PASSWORD, useTestApp } from "./test/harness.js";

const context = useTestApp({ settings: { trustProxyHops: 1 } });
const signUp = (email: string, address: string) =>
  call(context, "POST", "/api/auth/root/signup", {
    body: { email, password: PASSWORD },
    headers: { "x-forwarded-for": address },
  });

describe("sign-ups are bounded, since each one mails the address it is given", () => {
  it("S6 three sign-ups per email an hour, taken or not, then 429 with Retry-After and no mail", async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await signUp("target@example.com", `192.0.2.${attempt}`)).status).toBe(202);
      context.clock.advance(60);
    }
    const sent = context.smtp.received.filter((mail) => mail.to === "target@example.com").length;
    const refused = await signUp("target@example.com", "192.0.2.99");
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("TOO_MANY_ATTEMPTS");
    expect(Number(refused.headers.get("retry-after"))).toBe(60 * 60 - 3 * 60);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(context.smtp.received.filter((mail) => mail.to === "target@example.com")).toHaveLength(sent);
    context.clock.advance(60 * 60);
    expect((await signUp("target@example.com", "192.0.2.99")).status).toBe(202);
  });

  it("S6 fifty sign-ups per client address an hour", async () => {
    for (let index = 0; index < 50; index++) {
      expect((await signUp(`someone-${index}@example.com`, "198.51.100.1")).status).toBe(202);
    }
    expect((await signUp("one-more@example.com", "198.51.100.1")).status).toBe(429);
    expect((await signUp("one-more@example.com", "198.51.100.2")).status).toBe(202);
  });
});
