import type { Logger } from "./deps.js";

/** One JSON line per event on stdout/stderr; mail bodies of the dev mailer stay readable. */
export function createConsoleLogger(): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields });
    (level === "error" ? process.stderr : process.stdout).write(`${line}\n`);
    if (level === "info" && message.includes("\n")) process.stdout.write(`${message}\n`);
  };
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
  };
}
