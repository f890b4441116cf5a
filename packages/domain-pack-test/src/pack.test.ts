import { execFileSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, "..");
const consumerDir = join(packageDir, "consumer");
const repoDir = realpathSync(join(packageDir, "..", ".."));
const domainDir = join(repoDir, "packages", "domain");
const tsc = join(repoDir, "node_modules", ".bin", "tsc");

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

const readManifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe", maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}\n${stderr ?? ""}`);
  }
}

/** Node's lookup of a bare package name from `fromDir` (pnpm keeps a package's dependencies beside it). */
function packageDirOf(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    try {
      return realpathSync(candidate);
    } catch {
      if (dirname(dir) === dir) throw new Error(`${name} is not installed from ${fromDir}`);
    }
  }
}

/** The installed folders of `names` and of everything they depend on at run time. */
function dependencyClosure(names: readonly string[], fromDir: string): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (name: string, from: string) => {
    const dir = packageDirOf(name, from);
    const key = `${name}@${readManifest(dir).version}`;
    if (found.has(key)) return;
    found.set(key, dir);
    for (const dependency of Object.keys(readManifest(dir).dependencies ?? {})) visit(dependency, dir);
  };
  for (const name of names) visit(name, fromDir);
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

const timings: Record<string, number> = {};
function timed<T>(step: string, work: () => T): T {
  const startedAt = performance.now();
  try {
    return work();
  } finally {
    timings[step] = Math.round(performance.now() - startedAt);
  }
}

const domain = readManifest(domainDir);
const sourceModules = readdirSync(join(domainDir, "src"))
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"))
  .map((file) => file.slice(0, -".ts".length));

let workDir = "";
let scratchDir = "";
let installedDir = "";
let gitStatusBefore = "";

const gitStatus = () => run("git", ["status", "--porcelain", "--untracked-files=all"], repoDir);

beforeAll(() => {
  gitStatusBefore = gitStatus();
  workDir = realpathSync(mkdtempSync(join(tmpdir(), "cloud2fa-domain-pack-")));
  const tarballDir = join(workDir, "tarballs");
  const stagingDir = join(workDir, "staging");
  scratchDir = join(workDir, "scratch");
  for (const dir of [tarballDir, stagingDir, scratchDir]) mkdirSync(dir);

  // pnpm pack runs the package's prepack first: a clean build of dist/ (tsc -p tsconfig.build.json).
  timed("build and pack @cloud2fa/domain", () =>
    run("pnpm", ["pack", "--pack-destination", tarballDir], domainDir),
  );

  // Its runtime dependencies come from the workspace's own node_modules, packed offline. They are copied
  // first: pnpm hard-links identical files, npm pack writes those as tar link entries, and npm install drops them.
  // @types/node is the README examples' (they use node:assert), not the library's.
  timed("pack its dependencies", () => {
    const closure = dependencyClosure(Object.keys(domain.dependencies ?? {}), domainDir);
    for (const [key, dir] of dependencyClosure(["@types/node"], packageDir)) closure.set(key, dir);
    const staged = [...closure].map(([key, dir], index) => {
      const copy = join(stagingDir, `${index}-${key.replace(/[@/]/g, "_")}`);
      cpSync(dir, copy, { recursive: true, filter: (source) => !source.includes(`${dir}/node_modules`) });
      return copy;
    });
    run(
      "npm",
      ["pack", "--ignore-scripts", "--silent", "--pack-destination", tarballDir, ...staged],
      workDir,
    );
  });

  writeFileSync(
    join(scratchDir, "package.json"),
    `${JSON.stringify({ name: "scratch-service", private: true, type: "module" }, null, 2)}\n`,
  );
  // Offline, with an empty cache of its own: a package missing from the tarballs fails the install.
  timed("install the tarballs offline", () =>
    run(
      "npm",
      [
        "install",
        "--offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--cache",
        join(workDir, "npm-cache"),
        "--userconfig",
        join(workDir, "npmrc"),
        ...readdirSync(tarballDir).map((file) => join(tarballDir, file)),
      ],
      scratchDir,
    ),
  );
  installedDir = join(scratchDir, "node_modules", "@cloud2fa", "domain");
  for (const file of readdirSync(consumerDir)) cpSync(join(consumerDir, file), join(scratchDir, file));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  console.log(`pack test steps (ms): ${JSON.stringify(timings)}`);
});

describe("§8 @cloud2fa/domain packed, installed offline outside the workspace", () => {
  test("§8 the package holds its manifest, README, CHANGELOG and the built dist (with .d.ts), nothing else", () => {
    const built = sourceModules.flatMap((name) => [`${name}.d.ts`, `${name}.js`, `${name}.js.map`]);
    expect(filesUnder(installedDir)).toEqual(
      ["CHANGELOG.md", "README.md", "package.json", ...built.map((file) => `dist/${file}`)].sort(),
    );
    expect(readManifest(installedDir).version).toBe(domain.version);
  });

  test("§8 dist imports only its own files (with .js extensions) and its declared dependencies", () => {
    const declared = new Set(Object.keys(domain.dependencies ?? {}));
    const distDir = join(installedDir, "dist");
    const specifiers = readdirSync(distDir)
      .filter((file) => file.endsWith(".js") || file.endsWith(".d.ts"))
      .flatMap((file) =>
        [...readFileSync(join(distDir, file), "utf8").matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map(
          (match) => match[1] ?? "",
        ),
      );
    expect(specifiers.length).toBeGreaterThan(0);
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) {
        expect(specifier).toMatch(/^\.\/[a-z-]+\.js$/);
        expect(sourceModules).toContain(specifier.slice("./".length, -".js".length));
      } else {
        const name = specifier.startsWith("@")
          ? specifier.split("/").slice(0, 2).join("/")
          : specifier.split("/")[0];
        expect(declared).toContain(name);
      }
    }
  });

  test("§8 a plain ESM script decides with it: R5 refuses an Administrator, a TOTP code is accepted once", () => {
    const result = JSON.parse(timed("run decide.mjs", () => run("node", ["decide.mjs"], scratchDir)));
    expect(result).toEqual({
      version: domain.version,
      administratorRemovesTwoFactor: { ok: false, reason: "ONLY_ROOT_CAN_REMOVE_TWO_FACTOR" },
      rootRemovesTwoFactor: { ok: true },
      message: "Only the root user can remove a member's two-factor authentication.",
      steppedUpAMinuteAgo: { ok: true },
      steppedUpTooLongAgo: { ok: false, reason: "STEP_UP_REQUIRED" },
      ssoConfiguresTwoFactor: { ok: false, reason: "SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR" },
      enrolmentPastDeadline: { state: "required_now" },
      totp: {
        secretLength: 32,
        accepted: { ok: true, step: result.totp.expectedStep },
        expectedStep: result.totp.expectedStep,
        replayed: { ok: false, reason: "INVALID_CODE" },
      },
      // The exports map opens the entry point and package.json, not the files behind them.
      deepImport: "ERR_PACKAGE_PATH_NOT_EXPORTED",
    });
  });

  test("§8 CommonJS requires it (Node.js 20.19 or later)", () => {
    expect(JSON.parse(run("node", ["require.cjs"], scratchDir))).toEqual({
      ok: false,
      reason: "ONLY_ROOT_CAN_REMOVE_TWO_FACTOR",
    });
  });

  test("§8 a TypeScript consumer type-checks against the shipped .d.ts, with neither Node.js nor DOM types", () => {
    timed("type-check typed.ts", () => run(tsc, ["-p", "tsconfig.json"], scratchDir));
  });

  test("§8 every ts example of the shipped README type-checks and runs", () => {
    const readme = readFileSync(join(installedDir, "README.md"), "utf8");
    const examples = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? "");
    expect(examples.length).toBeGreaterThanOrEqual(5);
    mkdirSync(join(scratchDir, "readme"));
    examples.forEach((example, index) => {
      writeFileSync(join(scratchDir, "readme", `example-${index + 1}.ts`), example);
    });
    timed("compile the README examples", () => run(tsc, ["-p", "tsconfig.readme.json"], scratchDir));
    timed("run the README examples", () => {
      for (const index of examples.keys()) run("node", [`readme-out/example-${index + 1}.js`], scratchDir);
    });
  });

  test("§8 the scratch project is outside the repository and left it as it was", () => {
    expect(relative(repoDir, scratchDir).startsWith("..")).toBe(true);
    expect(gitStatus()).toBe(gitStatusBefore);
  });
});
