import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createDevMailer } from "./mailer.js";

describe("the development mailer (no SMTP_URL)", () => {
  it("prints each mail to the log and keeps it in DATA_DIR/mailbox.log, links and codes readable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "c2f-mail-"));
    const logged: string[] = [];
    const mailer = createDevMailer(dir, {
      info: (line) => logged.push(line),
      warn: () => {},
      error: () => {},
    });
    await mailer.send({
      to: "ada@example.com",
      subject: "Your code",
      text: "Code: 123456\nhttp://x/verify-email?token=abc",
    });
    const mailbox = readFileSync(join(dir, "mailbox.log"), "utf8");
    expect(mailbox).toContain("To: ada@example.com");
    expect(mailbox).toContain("123456");
    expect(logged.join("\n")).toContain("verify-email?token=abc");
    rmSync(dir, { recursive: true });
  });
});
