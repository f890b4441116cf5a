import { describe, expect, it } from "vitest";
import { canRequestEmailChange } from "./email-change.js";

describe("§6.4 who may ask for a new sign-in address", () => {
  it.each([
    ["a root user, another address", "root", "ada@example.com", "ada@new.example", { ok: true }],
    [
      "a root user, the same address",
      "root",
      "ada@example.com",
      "ada@example.com",
      { ok: false, reason: "VALIDATION_FAILED" },
    ],
    [
      "a member (its address belongs to its team)",
      "member",
      "ana@example.com",
      "ana@new.example",
      { ok: false, reason: "FORBIDDEN" },
    ],
    [
      "a member, the same address",
      "member",
      "ana@example.com",
      "ana@example.com",
      { ok: false, reason: "FORBIDDEN" },
    ],
  ] as const)("§6.4 %s", (_label, kind, currentEmailNormalized, newEmailNormalized, expected) => {
    expect(canRequestEmailChange({ kind }, { currentEmailNormalized, newEmailNormalized })).toEqual(expected);
  });
});
