// Users with TOTP: a few through the API (the real sign-up and setup flow, which also checks the bench's
// TOTP and sealing against the API's), then thousands cloned in SQL with their own sealed secrets.
import { randomBytes } from "node:crypto";
import { runPool, send } from "./http-load.mjs";
import { base32, fromBase32, openSecret, sealSecret, stepAt, totpCode } from "./totp.mjs";

const id = (prefix) => `${prefix}_${randomBytes(16).toString("base64url")}`;

export async function seedThroughApi({ base, smtp, key, sql, password, count, clientHeaders }) {
  const users = [];
  await runPool({ concurrency: 4, count }, async (i, workerId) => {
    const email = `bench-api-${i}@example.com`;
    const headers = clientHeaders(workerId);
    const post = (path, body, extra = {}) =>
      send(base, "POST", path, { body, headers: { ...headers, ...extra } });
    await post("/api/auth/root/signup", { email, password });
    await post("/api/auth/root/verify-email", { token: await smtp.tokenFor(email), password });
    const login = await post("/api/auth/root/login", { email, password });
    const cookie = { cookie: login.cookie ?? "" };
    const setup = await post("/api/me/two-factor/setup", { method: "totp", password }, cookie);
    const secretBytes = fromBase32(setup.body?.secret ?? "");
    const step = stepAt(Date.now());
    const confirm = await post(
      "/api/me/two-factor/setup/confirm",
      { code: totpCode(secretBytes, step) },
      cookie,
    );
    if (confirm.status !== 200) throw new Error(`seeding ${email} failed: ${JSON.stringify(confirm.body)}`);
    users[i] = { email, secretBytes, lastStep: step, cookie: login.cookie };
  });
  const [row] = await sql`
    select u.id, u.password_hash, f.secret_ciphertext from users u join two_factors f on f.user_id = u.id
    where u.email = ${users[0].email}`;
  if (openSecret(key, row.secret_ciphertext, row.id) !== base32(users[0].secretBytes)) {
    throw new Error("the bench's sealing does not match the API's: cannot seed users in SQL");
  }
  return { users, templateUserId: row.id };
}

/** Copies the template user's row (password hash, verified, active) under new ids with new secrets. */
export async function cloneUsers({ sql, key, templateUserId, prefix, count }) {
  const users = [];
  const batch = 2000;
  for (let start = 0; start < count; start += batch) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const userId = id("usr");
      const secretBytes = randomBytes(20);
      const email = `bench-${prefix}-${i}@example.com`;
      rows.push({
        accountId: id("acc"),
        userId,
        email,
        sealed: sealSecret(key, base32(secretBytes), userId),
      });
      users.push({ email, userId, secretBytes, lastStep: null });
    }
    const column = (name) => rows.map((row) => row[name]);
    await sql.begin(async (tx) => {
      await tx`insert into accounts (id, created_at) select unnest(${column("accountId")}::text[]), now()`;
      await tx`
        insert into users (id, account_id, kind, email, email_normalized, password_hash, email_verified_at,
          status, roles, is_sso, remark, created_at)
        select i.user_id, i.account_id, t.kind, i.email, lower(i.email), t.password_hash, t.email_verified_at,
          t.status, t.roles, t.is_sso, t.remark, now()
        from unnest(${column("userId")}::text[], ${column("accountId")}::text[], ${column("email")}::text[])
          as i(user_id, account_id, email)
        cross join (select * from users where id = ${templateUserId}) t`;
      await tx`
        insert into two_factors (user_id, method, secret_ciphertext, enabled_at)
        select user_id, 'totp', sealed, now()
        from unnest(${column("userId")}::text[], ${column("sealed")}::text[]) as i(user_id, sealed)`;
    });
  }
  return users;
}

/** The row a password sign-in writes for a TOTP user (log-in.ts), one per user, valid 10 minutes. */
export async function openChallenges(sql, users) {
  const ids = users.map(() => id("chl"));
  await sql`
    insert into sign_in_challenges (id, user_id, method, expires_at, attempt_count, created_at)
    select i.id, i.user_id, 'totp', now() + interval '10 minutes', 0, now()
    from unnest(${ids}::text[], ${users.map((user) => user.userId)}::text[]) as i(id, user_id)`;
  return ids;
}
