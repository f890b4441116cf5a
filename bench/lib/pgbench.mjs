// The database's own ceiling on this machine: pgbench, one single-row update per transaction.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const PGBENCH_ROWS = 10_000;
export const PGBENCH_ARGS = ["-n", "-c", "64", "-j", "2", "-T", "10", "-M", "prepared"];
export const PGBENCH_SCRIPT = `\\set id random(1, ${PGBENCH_ROWS})\nupdate pgbench_ceiling set n = n + 1 where id = :id;\n`;

export function findPgbench() {
  const which = spawnSync("which", ["pgbench"]).stdout?.toString().trim();
  if (which) return which;
  const fallback = "/usr/lib/postgresql/15/bin/pgbench";
  if (existsSync(fallback)) return fallback;
  throw new Error("pgbench is missing: apt-get install -y postgresql-contrib");
}

export async function prepareCeilingTable(sql) {
  await sql`create table pgbench_ceiling (id int primary key, n int not null default 0)`;
  await sql`insert into pgbench_ceiling (id) select generate_series(1, ${PGBENCH_ROWS})`;
  await sql`vacuum analyze pgbench_ceiling`;
}

/** Runs pgbench against `databaseUrl`; returns { tps, latencyInMs, command }. */
export async function runPgbench(databaseUrl) {
  const url = new URL(databaseUrl);
  const dir = mkdtempSync(join(tmpdir(), "c2f-pgbench-"));
  const script = join(dir, "single-row-update.sql");
  writeFileSync(script, PGBENCH_SCRIPT);
  const args = [
    ...PGBENCH_ARGS,
    "-f",
    script,
    "-h",
    url.hostname,
    "-p",
    url.port || "5432",
    "-U",
    decodeURIComponent(url.username || "postgres"),
    url.pathname.slice(1),
  ];
  const env = { ...process.env, ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}) };
  let out = "";
  for (let attempt = 1; attempt <= 6; attempt++) {
    const result = spawnSync(findPgbench(), args, { env, timeout: 60_000 });
    out = `${result.stdout}${result.stderr}`;
    if (!/too many clients/.test(out)) break;
    process.stderr.write(
      `[bench] pgbench: too many clients on the shared server (attempt ${attempt}), retrying in 5 s\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? Number.NaN);
  const latencyInMs = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? Number.NaN);
  if (!Number.isFinite(tps)) throw new Error(`pgbench failed:\n${out}`);
  return { tps, latencyInMs, command: `pgbench ${PGBENCH_ARGS.join(" ")} -f single-row-update.sql` };
}
