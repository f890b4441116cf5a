import { describe, expect, it } from "vitest";
import { readEnv } from "./env.js";

const key = Buffer.alloc(32, 7).toString("base64");

describe("configuration (SPEC §5)", () => {
  it("defaults: port 3000, embedded database in .data, links to localhost", () => {
    const env = readEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATA_DIR: ".data",
      PUBLIC_URL: "http://localhost:3000",
      SESSION_TTL_HOURS: 12,
      SESSION_IDLE_MINUTES: 30,
      TRUST_PROXY: 0,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it("reads every variable", () => {
    const env = readEnv({
      PORT: "8080",
      DATABASE_URL: "postgres://db/cloud2fa",
      DATA_DIR: "/var/lib/c2f",
      SMTP_URL: "smtp://mail:25",
      PUBLIC_URL: "https://console.example.com/",
      ENCRYPTION_KEYS: `k2:${key},k1:${key}`,
      SESSION_TTL_HOURS: "8",
      SESSION_IDLE_MINUTES: "15",
      TRUST_PROXY: "1",
    });
    expect(env.PORT).toBe(8080);
    expect(env.PUBLIC_URL).toBe("https://console.example.com");
    expect(env.ENCRYPTION_KEYS?.map((entry) => entry.id)).toEqual(["k2", "k1"]);
    expect(env.SESSION_TTL_HOURS).toBe(8);
    expect(env.TRUST_PROXY).toBe(1);
  });

  it.each([
    ["HTTPS://Console.Example.com/", "https://console.example.com"],
    ["https://example.com/console/", "https://example.com/console"],
    ["http://localhost:8080", "http://localhost:8080"],
  ])(
    "S5: PUBLIC_URL %s is read as %s (so an upper-case scheme still means a Secure cookie)",
    (given, read) => {
      expect(readEnv({ PUBLIC_URL: given }).PUBLIC_URL).toBe(read);
    },
  );

  it.each([
    [{ PORT: "http" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://x", ENCRYPTION_KEYS: `k:${key}` }, "DATABASE_URL"],
    [{ SMTP_URL: "mail.example.com" }, "SMTP_URL"],
    [{ PUBLIC_URL: "ftp://example.com" }, "PUBLIC_URL"],
    [{ ENCRYPTION_KEYS: "k1:c2hvcnQ=" }, "ENCRYPTION_KEYS"],
    [{ ENCRYPTION_KEYS: `no id:${key}` }, "ENCRYPTION_KEYS"],
    // S4: a key id names one key; two keys under one id would make a sealed secret ambiguous.
    [{ ENCRYPTION_KEYS: `k1:${key},k1:${Buffer.alloc(32, 8).toString("base64")}` }, "ENCRYPTION_KEYS"],
    [{ SESSION_TTL_HOURS: "0" }, "SESSION_TTL_HOURS"],
    [{ SESSION_IDLE_MINUTES: "-5" }, "SESSION_IDLE_MINUTES"],
    [{ TRUST_PROXY: "many" }, "TRUST_PROXY"],
    [{ DATABASE_URL: "postgres://db/x" }, "ENCRYPTION_KEYS"],
    // §8.1: a configured credential is name[@account]:secret, its secret long enough to guess at no rate.
    [{ SERVICE_CREDENTIALS: "deployments:short" }, "SERVICE_CREDENTIALS"],
    [{ SERVICE_CREDENTIALS: `deployments@someone:${"s".repeat(32)}` }, "SERVICE_CREDENTIALS"],
    [{ SERVICE_CREDENTIALS: `a:${"s".repeat(32)},a:${"t".repeat(32)}` }, "SERVICE_CREDENTIALS"],
    [{ SERVICE_CREDENTIALS: `a:${"s".repeat(32)},b:${"s".repeat(32)}` }, "SERVICE_CREDENTIALS"],
    [{ INTROSPECTION_RATE_LIMIT: "0" }, "INTROSPECTION_RATE_LIMIT"],
    [{ DATABASE_PREPARE: "no" }, "DATABASE_PREPARE"],
    [{ DATABASE_URL: "postgres://db/x?pgbouncer=yes", ENCRYPTION_KEYS: `k:${key}` }, "DATABASE_URL"],
  ])("a bad value stops start-up naming it: %o", (source, name) => {
    expect(() => readEnv(source)).toThrow(name);
  });
});

describe("§8.1 service credentials of internal deployments (SERVICE_CREDENTIALS)", () => {
  it("§8.1 reads name:secret (every account) and name@acc_…:secret (one account); none by default", () => {
    expect(readEnv({}).SERVICE_CREDENTIALS).toBeUndefined();
    expect(readEnv({}).INTROSPECTION_RATE_LIMIT).toBe(6000);
    const account = `acc_${"A".repeat(22)}`;
    const env = readEnv({
      SERVICE_CREDENTIALS: `deployments:${"d".repeat(32)}, billing@${account}:c2fsvc_${"b".repeat(43)}`,
      INTROSPECTION_RATE_LIMIT: "120",
    });
    expect(env.SERVICE_CREDENTIALS).toEqual([
      { name: "deployments", accountId: null, secret: "d".repeat(32) },
      { name: "billing", accountId: account, secret: `c2fsvc_${"b".repeat(43)}` },
    ]);
    expect(env.INTROSPECTION_RATE_LIMIT).toBe(120);
  });
});

describe("named prepared statements (DATABASE_PREPARE) and PgBouncer", () => {
  const withKeys = (source: Record<string, string>) => readEnv({ ENCRYPTION_KEYS: `k:${key}`, ...source });

  it.each([
    [{}, true],
    [{ DATABASE_URL: "postgres://db/x" }, true],
    [{ DATABASE_URL: "postgres://bouncer:6432/x?pgbouncer=true" }, false],
    [{ DATABASE_URL: "postgres://bouncer:6432/x?sslmode=require&pgbouncer=true" }, false],
    [{ DATABASE_URL: "postgres://db/x?pgbouncer=false" }, true],
    [{ DATABASE_URL: "postgres://bouncer:6432/x?pgbouncer=true", DATABASE_PREPARE: "true" }, true],
    [{ DATABASE_URL: "postgres://db/x", DATABASE_PREPARE: "false" }, false],
  ])(
    "%o → prepared statements %s (on by default; off at a URL marked pgbouncer=true; the variable wins)",
    (source, prepare) => {
      expect(withKeys(source).DATABASE_PREPARE).toBe(prepare);
    },
  );
});
