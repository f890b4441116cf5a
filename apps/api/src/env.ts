import { MAX_INTROSPECTIONS_PER_WINDOW } from "@cloud2fa/domain";
import { z } from "zod";
import { readPostgresUrl } from "./db/postgres-url.js";

const keyList = z.string().transform((value, context) => {
  const keys: { id: string; key: Buffer }[] = [];
  for (const entry of value.split(",")) {
    const [id, encoded, ...rest] = entry.trim().split(":");
    const key = Buffer.from(encoded ?? "", "base64");
    if (!id || rest.length > 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || key.length !== 32) {
      context.addIssue({ code: "custom", message: "expected id1:base64key,id2:base64key with 32-byte keys" });
      return z.NEVER;
    }
    if (keys.some((known) => known.id === id)) {
      context.addIssue({ code: "custom", message: `key id ${id} appears twice: each id names one key` });
      return z.NEVER;
    }
    keys.push({ id, key });
  }
  return keys;
});

/** §8.1: `name:secret` (every account) or `name@accountId:secret` (that account only), comma-separated. */
const serviceCredentialList = z.string().transform((value, context) => {
  const credentials: { name: string; accountId: string | null; secret: string }[] = [];
  for (const entry of value.split(",")) {
    const parsed = /^([A-Za-z0-9._-]{1,64})(?:@(acc_[A-Za-z0-9_-]{22}))?:([A-Za-z0-9_-]{32,256})$/.exec(
      entry.trim(),
    );
    if (!parsed) {
      context.addIssue({
        code: "custom",
        message:
          "expected name:secret or name@acc_…:secret entries, comma-separated (secrets: at least 32 characters of A–Z a–z 0–9 _ -)",
      });
      return z.NEVER;
    }
    const [, name = "", accountId, secret = ""] = parsed;
    if (credentials.some((known) => known.name === name || known.secret === secret)) {
      context.addIssue({
        code: "custom",
        message: `credential ${name}: each name and each secret appears once`,
      });
      return z.NEVER;
    }
    credentials.push({ name, accountId: accountId ?? null, secret });
  }
  return credentials;
});

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL")
    .refine(
      (url) => !/[?&]pgbouncer=/.test(url) || readPostgresUrl(url).isPgBouncer !== undefined,
      "expected pgbouncer=true or pgbouncer=false in the URL's query",
    )
    .optional(),
  // Named prepared statements; unset: on, unless DATABASE_URL carries ?pgbouncer=true (docs/scale-out.md).
  DATABASE_PREPARE: z.enum(["true", "false"]).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "expected smtp://host:port")
    .optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  ENCRYPTION_KEYS: keyList.optional(),
  SESSION_TTL_HOURS: positiveInt(12),
  SESSION_IDLE_MINUTES: positiveInt(30),
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(0),
  WEB_DIST_DIR: z.string().optional(),
  SERVICE_CREDENTIALS: serviceCredentialList.optional(),
  INTROSPECTION_RATE_LIMIT: positiveInt(MAX_INTROSPECTIONS_PER_WINDOW),
  // §7: an http:// issuer on a loopback address (pnpm idp, tests); https is required otherwise.
  SSO_ALLOW_HTTP_LOOPBACK_ISSUER: z.enum(["0", "1"]).default("0"),
});

export type Env = Omit<z.infer<typeof envSchema>, "DATABASE_PREPARE"> & {
  PUBLIC_URL: string;
  DATABASE_PREPARE: boolean;
};

/** The one place that reads process.env: a bad value stops start-up with a message that names it. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const env = parsed.data;
  if (env.DATABASE_URL && !env.ENCRYPTION_KEYS) {
    throw new Error(
      "Invalid configuration:\n  ENCRYPTION_KEYS: required with DATABASE_URL (every instance on a database must share the keys)",
    );
  }
  // Read as the URL parser writes it (lower-case scheme and host), so S5's "over HTTPS" test holds.
  const publicUrl = new URL(env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).href;
  // PgBouncer before 1.21 (transaction pooling) does not carry a named statement from one transaction to the next.
  const isPgBouncer = env.DATABASE_URL ? readPostgresUrl(env.DATABASE_URL).isPgBouncer : undefined;
  const prepare = env.DATABASE_PREPARE ? env.DATABASE_PREPARE === "true" : isPgBouncer !== true;
  return { ...env, PUBLIC_URL: publicUrl.replace(/\/$/, ""), DATABASE_PREPARE: prepare };
}
