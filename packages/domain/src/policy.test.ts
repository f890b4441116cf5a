import { describe, expect, it } from "vitest";
import { SETUP_TTL_IN_SECONDS } from "./constants.js";
import type { Member, MemberStatus, RootUser, TwoFactorMethod, TwoFactorState, User } from "./entities.js";
import { allow, refuse } from "./errors.js";
import {
  allowedTwoFactorMethods,
  canActivateMember,
  canChangeMemberStatus,
  canChangeSso,
  canConfigureTwoFactor,
  canConfirmSetup,
  canRemoveOwnTwoFactor,
  canSignIn,
  canStartSetup,
  secondFactorRequired,
} from "./policy.js";
import { addSeconds } from "./time.js";

const start = new Date("2026-01-01T00:00:00Z");
const setupExpiresAt = addSeconds(start, SETUP_TTL_IN_SECONDS);

function rootUser(overrides: Partial<RootUser> = {}): RootUser {
  return {
    kind: "root",
    id: "usr_policy_root",
    accountId: "acc_policy",
    email: "root@example.com",
    isEmailVerified: true,
    ...overrides,
  };
}

function member(overrides: Partial<Member> = {}): Member {
  return {
    kind: "member",
    id: "mem_policy_member",
    accountId: "acc_policy",
    email: "member@example.com",
    roles: ["project_user"],
    status: "active",
    isSso: false,
    ...overrides,
  };
}

const none: TwoFactorState = { state: "none" };

function pending(method: TwoFactorMethod, expiresAt: Date = setupExpiresAt): TwoFactorState {
  return { state: "pending", method, expiresAt };
}

function enabled(method: TwoFactorMethod): TwoFactorState {
  return { state: "enabled", method, enabledAt: start, lastAcceptedStep: null };
}

const activeMember = member();
const root = rootUser();

describe("R1 a member account must be active to configure 2FA", () => {
  it.each<[MemberStatus, ReturnType<typeof canStartSetup>]>([
    ["active", allow],
    ["pending", refuse("ACCOUNT_NOT_ACTIVE")],
    ["disabled", refuse("ACCOUNT_NOT_ACTIVE")],
  ])("R1 canStartSetup for a member in state %s → %o", (status, expected) => {
    expect(canStartSetup(member({ status }), none, "totp")).toEqual(expected);
  });

  it.each<[MemberStatus, ReturnType<typeof canConfigureTwoFactor>]>([
    ["active", allow],
    ["pending", refuse("ACCOUNT_NOT_ACTIVE")],
    ["disabled", refuse("ACCOUNT_NOT_ACTIVE")],
  ])("R1 canConfigureTwoFactor for a member in state %s → %o", (status, expected) => {
    expect(canConfigureTwoFactor(member({ status }), none)).toEqual(expected);
  });

  it.each<[MemberStatus, ReturnType<typeof canConfirmSetup>]>([
    ["active", { ok: true, method: "totp" }],
    ["pending", refuse("ACCOUNT_NOT_ACTIVE")],
    ["disabled", refuse("ACCOUNT_NOT_ACTIVE")],
  ])("R1 canConfirmSetup for a member in state %s with a live pending setup → %o", (status, expected) => {
    expect(canConfirmSetup(member({ status }), pending("totp"), start)).toEqual(expected);
  });
});

describe("R2 once 2FA is configured every sign-in requires a code", () => {
  it.each<[string, TwoFactorState, TwoFactorMethod | null]>([
    ["enabled with totp", enabled("totp"), "totp"],
    ["enabled with email", enabled("email"), "email"],
    ["not configured", none, null],
    ["only a pending setup", pending("totp"), null],
  ])("R2 secondFactorRequired when %s → $2", (_label, twoFactor, expected) => {
    expect(secondFactorRequired(twoFactor)).toBe(expected);
  });
});

describe("R3 a configured 2FA cannot be set up again until removed", () => {
  it.each<[string, User, TwoFactorState, TwoFactorMethod, ReturnType<typeof canStartSetup>]>([
    ["root, none, totp", root, none, "totp", allow],
    ["root, none, email", root, none, "email", allow],
    ["root, pending (a new setup replaces it)", root, pending("email"), "totp", allow],
    ["member, pending (a new setup replaces it)", activeMember, pending("totp"), "totp", allow],
    ["root, enabled totp", root, enabled("totp"), "totp", refuse("TWO_FACTOR_ALREADY_CONFIGURED")],
    ["root, enabled email", root, enabled("email"), "totp", refuse("TWO_FACTOR_ALREADY_CONFIGURED")],
    ["member, enabled", activeMember, enabled("totp"), "totp", refuse("TWO_FACTOR_ALREADY_CONFIGURED")],
    [
      "disabled SSO member, enabled (R3 first)",
      member({ status: "disabled", isSso: true }),
      enabled("totp"),
      "totp",
      refuse("TWO_FACTOR_ALREADY_CONFIGURED"),
    ],
  ])("R3 canStartSetup: %s → $4", (_label, user, twoFactor, method, expected) => {
    expect(canStartSetup(user, twoFactor, method)).toEqual(expected);
  });

  it.each<[string, User]>([
    ["root", root],
    ["member", activeMember],
  ])("R3 canConfirmSetup refuses a %s whose 2FA is already enabled", (_label, user) => {
    expect(canConfirmSetup(user, enabled("totp"), start)).toEqual(refuse("TWO_FACTOR_ALREADY_CONFIGURED"));
  });
});

describe("R4 a member cannot delete or reset its own 2FA", () => {
  it.each<[string, Member, TwoFactorState]>([
    ["active member with 2FA", activeMember, enabled("totp")],
    ["administrator with 2FA", member({ roles: ["administrator"] }), enabled("totp")],
    ["member without 2FA", activeMember, none],
    ["member with a pending setup", activeMember, pending("totp")],
  ])("R4 canRemoveOwnTwoFactor refuses: %s → FORBIDDEN", (_label, user, twoFactor) => {
    expect(canRemoveOwnTwoFactor(user, twoFactor)).toEqual(refuse("FORBIDDEN"));
  });

  it("R4 a member with 2FA cannot start a new setup (which would reset it)", () => {
    expect(canStartSetup(activeMember, enabled("totp"), "totp")).toEqual(
      refuse("TWO_FACTOR_ALREADY_CONFIGURED"),
    );
  });
});

describe("R6 an SSO account cannot enable 2FA", () => {
  it.each<[string, Member, ReturnType<typeof canStartSetup>]>([
    ["active non-SSO member", member({ isSso: false }), allow],
    ["active SSO member", member({ isSso: true }), refuse("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR")],
    [
      "pending SSO member (R6 before R1)",
      member({ isSso: true, status: "pending" }),
      refuse("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR"),
    ],
  ])("R6 canStartSetup for: %s → $2", (_label, user, expected) => {
    expect(canStartSetup(user, none, "totp")).toEqual(expected);
  });

  it("R6 canConfirmSetup refuses an SSO member even with a pending setup", () => {
    expect(canConfirmSetup(member({ isSso: true }), pending("totp"), start)).toEqual(
      refuse("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR"),
    );
  });
});

describe("R7 root users choose email or app; members use the app", () => {
  it.each<[string, User, readonly TwoFactorMethod[]]>([
    ["root user", root, ["totp", "email"]],
    ["member", activeMember, ["totp"]],
    ["administrator member", member({ roles: ["administrator"] }), ["totp"]],
  ])("R7 allowedTwoFactorMethods for: %s → $2", (_label, user, expected) => {
    expect(allowedTwoFactorMethods(user)).toEqual(expected);
  });

  it.each<[string, User, TwoFactorMethod, ReturnType<typeof canStartSetup>]>([
    ["root user, totp", root, "totp", allow],
    ["root user, email", root, "email", allow],
    ["member, totp", activeMember, "totp", allow],
    ["member, email", activeMember, "email", refuse("METHOD_NOT_ALLOWED")],
    ["administrator, email", member({ roles: ["administrator"] }), "email", refuse("METHOD_NOT_ALLOWED")],
  ])("R7 canStartSetup for: %s → $3", (_label, user, method, expected) => {
    expect(canStartSetup(user, none, method)).toEqual(expected);
  });

  it.each<[string, User, TwoFactorMethod, ReturnType<typeof canConfirmSetup>]>([
    ["root user, pending email", root, "email", { ok: true, method: "email" }],
    ["root user, pending totp", root, "totp", { ok: true, method: "totp" }],
    ["member, pending totp", activeMember, "totp", { ok: true, method: "totp" }],
    ["member, pending email", activeMember, "email", refuse("METHOD_NOT_ALLOWED")],
  ])("R7 canConfirmSetup for: %s → $3", (_label, user, method, expected) => {
    expect(canConfirmSetup(user, pending(method), start)).toEqual(expected);
  });
});

describe("R8 a setup becomes active only after a valid code, and expires after 10 minutes", () => {
  it.each<[string, TwoFactorState, Date, ReturnType<typeof canConfirmSetup>]>([
    ["live pending setup at its start", pending("totp"), start, { ok: true, method: "totp" }],
    [
      "live pending setup 1 ms before 10 minutes",
      pending("totp"),
      new Date(setupExpiresAt.getTime() - 1),
      { ok: true, method: "totp" },
    ],
    [
      "pending setup at exactly 10 minutes (expiresAt == now)",
      pending("totp"),
      setupExpiresAt,
      refuse("NO_PENDING_SETUP"),
    ],
    [
      "pending setup after 10 minutes",
      pending("totp"),
      addSeconds(setupExpiresAt, 1),
      refuse("NO_PENDING_SETUP"),
    ],
    ["no setup at all", none, start, refuse("NO_PENDING_SETUP")],
  ])("R8 canConfirmSetup (root): %s → $3", (_label, twoFactor, now, expected) => {
    expect(canConfirmSetup(root, twoFactor, now)).toEqual(expected);
  });

  it("R8 an unconfirmed (pending) setup changes nothing: sign-in needs no code", () => {
    expect(secondFactorRequired(pending("totp"))).toBeNull();
    expect(secondFactorRequired(pending("email", start))).toBeNull();
  });
});

describe("R9 after the root user removes a member's 2FA, the member can configure it again", () => {
  it.each<[string, TwoFactorState, ReturnType<typeof canStartSetup>]>([
    ["before removal (enabled)", enabled("totp"), refuse("TWO_FACTOR_ALREADY_CONFIGURED")],
    ["after removal (none)", none, allow],
  ])("R9 canStartSetup for an active member %s → $2", (_label, twoFactor, expected) => {
    expect(canStartSetup(activeMember, twoFactor, "totp")).toEqual(expected);
  });

  it("R9 after removal the member's sign-in no longer asks for a code", () => {
    expect(secondFactorRequired(none)).toBeNull();
  });
});

describe("R10 the root user may remove their own 2FA (the current code is checked by the caller)", () => {
  it.each<[string, TwoFactorState, ReturnType<typeof canRemoveOwnTwoFactor>]>([
    ["enabled totp", enabled("totp"), allow],
    ["enabled email", enabled("email"), allow],
    ["no 2FA", none, refuse("NOT_FOUND")],
    ["only a pending setup", pending("email"), refuse("NOT_FOUND")],
  ])("R10 canRemoveOwnTwoFactor for the root user with %s → $2", (_label, twoFactor, expected) => {
    expect(canRemoveOwnTwoFactor(root, twoFactor)).toEqual(expected);
  });
});

describe("R11 the domain decides only whether a setup may start; the password re-check is the API's", () => {
  it("R11 canStartSetup takes (user, twoFactor, method) and no password: the API checks it in the same request", () => {
    expect(canStartSetup.length).toBe(3);
  });

  it.each<[string, User, TwoFactorState, TwoFactorMethod, ReturnType<typeof canStartSetup>]>([
    ["active member, none", activeMember, none, "totp", allow],
    ["root, none, email", root, none, "email", allow],
    ["member, enabled", activeMember, enabled("totp"), "totp", refuse("TWO_FACTOR_ALREADY_CONFIGURED")],
    ["SSO member", member({ isSso: true }), none, "totp", refuse("SSO_ACCOUNT_CANNOT_USE_TWO_FACTOR")],
  ])("R11 setup start decision: %s → $4", (_label, user, twoFactor, method, expected) => {
    expect(canStartSetup(user, twoFactor, method)).toEqual(expected);
  });
});

describe("canSignIn: whether a password-verified user may sign in", () => {
  it.each<[string, User, ReturnType<typeof canSignIn>]>([
    ["verified root user", rootUser({ isEmailVerified: true }), allow],
    ["unverified root user", rootUser({ isEmailVerified: false }), refuse("EMAIL_NOT_VERIFIED")],
    ["active member", member({ status: "active" }), allow],
    ["pending member", member({ status: "pending" }), refuse("ACCOUNT_NOT_ACTIVE")],
    ["disabled member", member({ status: "disabled" }), refuse("ACCOUNT_NOT_ACTIVE")],
    ["active SSO member (password until IdP sign-in ships)", member({ isSso: true }), allow],
  ])("canSignIn for: %s → $2", (_label, user, expected) => {
    expect(canSignIn(user)).toEqual(expected);
  });
});

describe("member states: pending → active by activation only; active ⇄ disabled", () => {
  it.each<[MemberStatus, ReturnType<typeof canChangeMemberStatus>]>([
    ["active", allow],
    ["disabled", allow],
    ["pending", refuse("ACCOUNT_NOT_ACTIVE")],
  ])("canChangeMemberStatus for a member in state %s → %o", (status, expected) => {
    expect(canChangeMemberStatus(member({ status }))).toEqual(expected);
  });

  it.each<[MemberStatus, ReturnType<typeof canActivateMember>]>([
    ["pending", allow],
    ["active", refuse("INVALID_TOKEN")],
    ["disabled", refuse("INVALID_TOKEN")],
  ])("canActivateMember for a member in state %s → %o", (status, expected) => {
    expect(canActivateMember(member({ status }))).toEqual(expected);
  });
});

describe("R6 canChangeSso: setting the SSO flag", () => {
  it.each<[string, TwoFactorState, boolean, ReturnType<typeof canChangeSso>]>([
    ["set with 2FA enabled", enabled("totp"), true, refuse("TWO_FACTOR_ALREADY_CONFIGURED")],
    ["set with a pending setup", pending("totp"), true, { ok: true, cancelsPendingSetup: true }],
    ["set with no 2FA", none, true, { ok: true, cancelsPendingSetup: false }],
    ["clear with 2FA enabled", enabled("totp"), false, { ok: true, cancelsPendingSetup: false }],
    ["clear with a pending setup", pending("totp"), false, { ok: true, cancelsPendingSetup: false }],
    ["clear with no 2FA", none, false, { ok: true, cancelsPendingSetup: false }],
  ])("R6 canChangeSso %s → $3", (_label, twoFactor, isSso, expected) => {
    expect(canChangeSso(twoFactor, isSso)).toEqual(expected);
  });
});
