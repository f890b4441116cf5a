// The API process under test (with the event-loop probe preloaded) and an in-process SMTP sink.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSmtp(apiDir) {
  const requireFromApi = createRequire(join(apiDir, "package.json"));
  const { SMTPServer } = requireFromApi("smtp-server");
  const { simpleParser } = requireFromApi("mailparser");
  const tokens = new Map();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text ?? "")?.[1];
          if (token && /verify/i.test(mail.subject ?? "")) tokens.set(mail.to?.text ?? "", token);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    async tokenFor(email) {
      for (let tries = 0; tries < 400; tries++) {
        const token = tokens.get(email);
        if (token) return token;
        await sleep(25);
      }
      throw new Error(`no verification mail for ${email}`);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** `node --require bench/event-loop-probe.cjs dist/main.js`; resolves once it listens and /readyz is 200. */
export async function startApi({ apiDir, probePath, env }) {
  // BENCH_API_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the API under load.
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: pnpm bench is not a turbo task; nothing is cached.
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "--require", probePath, "dist/main.js"], {
    cwd: apiDir,
    env: { PATH: process.env.PATH ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-20_000);
  };
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    child.stdout.on("data", (chunk) => {
      keep(chunk);
      seen += chunk;
      const port = /listening on http:\/\/localhost:(\d+)/.exec(seen)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    child.stderr.on("data", keep);
    child.on("exit", (code) => reject(new Error(`API exited with ${code}:\n${tail}`)));
  });
  for (let tries = 0; (await fetch(`${url}/readyz`).catch(() => null))?.status !== 200; tries++) {
    if (tries > 100) throw new Error(`API not ready:\n${tail}`);
    await sleep(100);
  }
  return {
    child,
    url,
    tail: () => tail,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
