import { describe, expect, it } from "vitest";
import type { Member, RootUser } from "./entities.js";
import { canResetPassword } from "./password-reset.js";

const root: RootUser = {
  kind: "root",
  id: "usr_1",
  accountId: "acc_1",
  email: "a@example.com",
  isEmailVerified: true,
};
const member: Member = {
  kind: "member",
  id: "usr_2",
  accountId: "acc_1",
  email: "m@example.com",
  roles: [],
  status: "active",
  isSso: false,
};

describe("§6.1 canResetPassword", () => {
  it.each([
    ["a verified root user", root, true],
    ["an unverified root user", { ...root, isEmailVerified: false }, false],
    ["an active member", member, true],
    ["a pending member", { ...member, status: "pending" as const }, false],
    ["a disabled member", { ...member, status: "disabled" as const }, false],
    ["an SSO member", { ...member, isSso: true }, false],
  ])("§6.1 %s → %s", (_name, user, expected) => {
    expect(canResetPassword(user)).toBe(expected);
  });
});
