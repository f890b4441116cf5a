import { MAX_PASSWORD_FAILURES_PER_ADDRESS, PASSWORD_FAILURE_WINDOW_IN_SECONDS } from "@cloud2fa/domain";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MAX_PENDING_PASSWORD_HASHES_PER_ADDRESS, PASSWORD_HASH_COST } from "./crypto/passwords.js";
import { passwordThrottles } from "./db/schema/index.js";
import { type ApiResponse, call, createMember, createRoot, PASSWORD, useTestApp } from "./test/harness.js";

// Issue 13 (S3, S6): a burst of sign-ins from one address. Every 401 INVALID_CREDENTIALS is one
// argon2 check (S6: an unknown email costs the same check as a wrong password), so the 401s count
// the password checks.
// The hash queue under a burst of real hashes: the production cost.
const context = useTestApp({ settings: { trustProxyHops: 1 }, passwordHashCost: PASSWORD_HASH_COST });
const from = (address: string) => ({ "x-forwarded-for": address });
/** Within one address's share of the hash queue (MAX_PENDING_PASSWORD_HASHES_PER_ADDRESS ≥ 4). */
const FEW_AT_ONCE = 4;

const wrongSignIn = (index: number, address: string) =>
  call(context, "POST", "/api/auth/root/login", {
    body: { email: `nobody-${index}@example.com`, password: "wrong password" },
    headers: from(address),
  });

const tally = (answers: ApiResponse[]) => {
  const counts: Record<string, number> = {};
  for (const answer of answers) {
    const key = `${answer.status} ${answer.body?.error?.code ?? ""}`.trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

async function countOf(key: string): Promise<number> {
  const [row] = await context.deps.db.select().from(passwordThrottles).where(eq(passwordThrottles.key, key));
  return row?.count ?? 0;
}

/** Runs `task(0..count-1)` with `concurrency` in flight, each worker sending its next once answered. */
async function inTurns(count: number, concurrency: number, task: (index: number) => Promise<ApiResponse>) {
  const answers: ApiResponse[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        answers[index] = await task(index);
      }
    }),
  );
  return answers;
}

describe("issue 13: the per-address password limit holds in a burst, and a burst cannot hold up other sign-ins", () => {
  it("S3 a burst of 200 wrong sign-ins from one address gets at most 50 password checks, and a sign-in from another address during it stays fast", async () => {
    const root = await createRoot(context);
    const order: string[] = [];
    const burst = Array.from({ length: 200 }, (_, index) =>
      wrongSignIn(index, "198.51.100.7").then((answer) => {
        order.push(answer.status === 401 ? "check" : "refused");
        return answer;
      }),
    );
    const startedAt = performance.now();
    const signIn = call(context, "POST", "/api/auth/root/login", {
      body: { email: root.email, password: PASSWORD },
      headers: from("203.0.113.5"),
    }).then((answer) => {
      order.push("user");
      return { answer, elapsedInMs: performance.now() - startedAt };
    });
    const answers = await Promise.all(burst);
    const user = await signIn;

    const counts = tally(answers);
    const checks = counts["401 INVALID_CREDENTIALS"] ?? 0;
    expect(checks).toBeGreaterThan(0);
    expect(checks).toBeLessThanOrEqual(MAX_PASSWORD_FAILURES_PER_ADDRESS);
    // The rest were refused before any argon2 work: the address's limit, or the full hash queue.
    for (const answer of answers.filter((each) => each.status !== 401)) {
      expect(["429 TOO_MANY_ATTEMPTS", "503 SERVER_BUSY"]).toContain(
        `${answer.status} ${answer.body.error.code}`,
      );
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // A refusal for a full queue charges nothing: the address counts exactly the checks.
    expect(await countOf("address:198.51.100.7")).toBe(checks);

    expect(user.answer.status).toBe(200);
    expect(user.answer.body.status).toBe("authenticated");
    // The burst holds at most its share of the queue ahead of another address's sign-in.
    const checksBeforeUser = order.slice(0, order.indexOf("user")).filter((tag) => tag === "check").length;
    expect(checksBeforeUser).toBeLessThanOrEqual(MAX_PENDING_PASSWORD_HASHES_PER_ADDRESS);
    expect(user.elapsedInMs).toBeLessThan(5_000);
  }, 120_000);

  it("S3 the address's attempt is reserved before the hash: 200 wrong sign-ins from one address, a few at a time, get exactly 50 password checks, then 429", async () => {
    const answers = await inTurns(200, FEW_AT_ONCE, (index) => wrongSignIn(index, "198.51.100.8"));
    expect(tally(answers)).toEqual({
      "401 INVALID_CREDENTIALS": MAX_PASSWORD_FAILURES_PER_ADDRESS,
      "429 TOO_MANY_ATTEMPTS": 200 - MAX_PASSWORD_FAILURES_PER_ADDRESS,
    });
    for (const answer of answers.filter((each) => each.status === 429)) {
      expect(Number(answer.headers.get("retry-after"))).toBe(PASSWORD_FAILURE_WINDOW_IN_SECONDS);
    }
    expect(await countOf("address:198.51.100.8")).toBe(MAX_PASSWORD_FAILURES_PER_ADDRESS);
  }, 120_000);

  it("S3 member sign-in reserves the address before the hash too: with one attempt left, four wrong ones at once get one check", async () => {
    const root = await createRoot(context);
    const member = await createMember(context, root);
    for (let index = 0; index < MAX_PASSWORD_FAILURES_PER_ADDRESS - 1; index++) {
      expect((await wrongSignIn(index, "198.51.100.9")).status).toBe(401);
    }
    const answers = await Promise.all(
      Array.from({ length: FEW_AT_ONCE }, (_, index) =>
        call(context, "POST", "/api/auth/member/login", {
          body: { accountId: root.accountId, email: member.email, password: `guess ${index}` },
          headers: from("198.51.100.9"),
        }),
      ),
    );
    expect(tally(answers)).toEqual({
      "401 INVALID_CREDENTIALS": 1,
      "429 TOO_MANY_ATTEMPTS": FEW_AT_ONCE - 1,
    });
    // The member's own key was given back by the three refused reservations.
    expect(await countOf(`account:member:${root.accountId}:${member.email}`)).toBe(1);
  }, 120_000);

  it("R11, S3 the setup's password re-check reserves the address before the hash: with one attempt left, four wrong ones at once get one check", async () => {
    const root = await createRoot(context);
    for (let index = 0; index < MAX_PASSWORD_FAILURES_PER_ADDRESS - 1; index++) {
      expect((await wrongSignIn(index, "198.51.100.10")).status).toBe(401);
    }
    const answers = await Promise.all(
      Array.from({ length: FEW_AT_ONCE }, (_, index) =>
        call(context, "POST", "/api/me/two-factor/setup", {
          cookie: root.cookie,
          body: { method: "totp", password: `guess ${index}` },
          headers: from("198.51.100.10"),
        }),
      ),
    );
    expect(tally(answers)).toEqual({
      "401 INVALID_CREDENTIALS": 1,
      "429 TOO_MANY_ATTEMPTS": FEW_AT_ONCE - 1,
    });
    expect(await countOf("address:198.51.100.10")).toBe(MAX_PASSWORD_FAILURES_PER_ADDRESS);
    expect(await countOf(`reauth:${root.id}`)).toBe(1);
  }, 120_000);

  it("S3 right passwords give both reservations back: one user signing in from one address, a few at a time, is never refused and leaves no count", async () => {
    const root = await createRoot(context);
    const answers = await inTurns(40, FEW_AT_ONCE, () =>
      call(context, "POST", "/api/auth/root/login", {
        body: { email: root.email, password: PASSWORD },
        headers: from("198.51.100.11"),
      }),
    );
    // The same two rows are reserved and given back concurrently, locked in one order: no deadlock (503).
    expect(tally(answers)).toEqual({ "200": 40 });
    expect(await countOf("address:198.51.100.11")).toBe(0);
    expect(await countOf(`account:root:${root.email}`)).toBe(0);
  }, 120_000);

  it("issue 13: the OpenAPI document names 503 SERVER_BUSY on the routes that check a password", async () => {
    const document = await call(context, "GET", "/api/openapi.json");
    for (const path of ["/auth/root/login", "/auth/member/login", "/me/two-factor/setup", "/me/email"]) {
      expect(document.body.paths[path].post.responses["503"].description, path).toContain("SERVER_BUSY");
    }
  });
});
