import { describe, expect, it } from "vitest";
import {
  isEmailDomainAllowed,
  mustSignInWithSso,
  type SsoCandidate,
  type SsoPolicy,
  ssoChangeEndsSessions,
  ssoSignInDecision,
} from "./sso.js";

const policy: SsoPolicy = {
  enabled: true,
  allowedDomains: ["example.com"],
  jitEnabled: false,
  jitRoles: ["project_user"],
};
const identity = { subject: "sub-1", email: "ada@example.com", emailVerified: true };
const ssoMember: SsoCandidate = { kind: "member", status: "active", isSso: true, linkedSubject: null };

describe("§7.2 isEmailDomainAllowed", () => {
  it.each([
    ["ada@example.com", ["example.com"], true],
    ["ada@EXAMPLE.com", ["example.com"], true],
    ["ada@example.com", ["@Example.COM"], true],
    ["ada@sub.example.com", ["example.com"], false],
    ["ada@example.com.evil.test", ["example.com"], false],
    ["ada@evil.test", ["example.com", "other.test"], false],
    ["ada@", ["example.com"], false],
    ["example.com", ["example.com"], false],
    ["ada@example.com", [], false],
  ] as const)("%s with %j → %s", (email, domains, expected) => {
    expect(isEmailDomainAllowed(email, domains)).toBe(expected);
  });
});

describe("§7.2 ssoSignInDecision", () => {
  const cases: [string, Parameters<typeof ssoSignInDecision>[0], ReturnType<typeof ssoSignInDecision>][] = [
    [
      "linked member signs in",
      { policy, identity, linked: ssoMember, byEmail: null },
      { ok: true, action: "sign_in" },
    ],
    [
      "SSO member by email is linked",
      { policy, identity, linked: null, byEmail: ssoMember },
      { ok: true, action: "link" },
    ],
    [
      "JIT on creates with the JIT roles",
      { policy: { ...policy, jitEnabled: true }, identity, linked: null, byEmail: null },
      { ok: true, action: "create", roles: ["project_user"] },
    ],
    [
      "JIT off, nobody: refused",
      { policy, identity, linked: null, byEmail: null },
      { ok: false, reason: "SSO_NO_MEMBER" },
    ],
    [
      "a password member with the address is not taken over (even with JIT on)",
      {
        policy: { ...policy, jitEnabled: true },
        identity,
        linked: null,
        byEmail: { ...ssoMember, isSso: false },
      },
      { ok: false, reason: "SSO_NO_MEMBER" },
    ],
    [
      "a root user is never signed in",
      { policy, identity, linked: null, byEmail: { ...ssoMember, kind: "root" } },
      { ok: false, reason: "SSO_NO_MEMBER" },
    ],
    [
      "a disabled member is refused",
      { policy, identity, linked: { ...ssoMember, status: "disabled" }, byEmail: null },
      { ok: false, reason: "SSO_MEMBER_DISABLED" },
    ],
    [
      "a pending member is refused",
      { policy, identity, linked: null, byEmail: { ...ssoMember, status: "pending" } },
      { ok: false, reason: "SSO_MEMBER_DISABLED" },
    ],
    [
      "a linked member whose SSO flag was cleared is refused",
      { policy, identity, linked: { ...ssoMember, isSso: false }, byEmail: null },
      { ok: false, reason: "SSO_NO_MEMBER" },
    ],
    [
      "a member linked to another subject is not re-linked by its address",
      { policy, identity, linked: null, byEmail: { ...ssoMember, linkedSubject: "sub-2" } },
      { ok: false, reason: "SSO_NO_MEMBER" },
    ],
    [
      "email_verified false",
      { policy, identity: { ...identity, emailVerified: false }, linked: ssoMember, byEmail: null },
      { ok: false, reason: "SSO_EMAIL_NOT_VERIFIED" },
    ],
    [
      "email_verified missing",
      { policy, identity: { ...identity, emailVerified: undefined }, linked: ssoMember, byEmail: null },
      { ok: false, reason: "SSO_EMAIL_NOT_VERIFIED" },
    ],
    [
      "email_verified as the string true",
      { policy, identity: { ...identity, emailVerified: "true" }, linked: ssoMember, byEmail: null },
      { ok: false, reason: "SSO_EMAIL_NOT_VERIFIED" },
    ],
    [
      "no email",
      { policy, identity: { ...identity, email: null }, linked: ssoMember, byEmail: null },
      { ok: false, reason: "SSO_EMAIL_NOT_VERIFIED" },
    ],
    [
      "a domain not allowed, also for a linked member",
      { policy, identity: { ...identity, email: "ada@evil.test" }, linked: ssoMember, byEmail: null },
      { ok: false, reason: "SSO_DOMAIN_NOT_ALLOWED" },
    ],
    [
      "SSO off",
      { policy: { ...policy, enabled: false }, identity, linked: ssoMember, byEmail: null },
      { ok: false, reason: "SSO_NO_MEMBER" },
    ],
  ];
  it.each(cases)("%s", (_name, input, expected) => {
    expect(ssoSignInDecision(input)).toEqual(expected);
  });
});

describe("§7.3 mustSignInWithSso", () => {
  it.each([
    [{ kind: "member", isSso: true }, true, true],
    [{ kind: "member", isSso: true }, false, false],
    [{ kind: "member", isSso: false }, true, false],
    [{ kind: "root", isSso: false }, true, false],
  ] as const)("%j with team SSO %s → %s", (user, enabled, expected) => {
    expect(mustSignInWithSso(user, enabled)).toBe(expected);
  });
});

describe("§7.1 ssoChangeEndsSessions", () => {
  const on = { enabled: true, issuer: "https://a.test" };
  it.each([
    [null, on, true],
    [on, null, true],
    [on, { ...on, enabled: false }, true],
    [on, { ...on, issuer: "https://b.test" }, true],
    [on, on, false],
    [{ ...on, enabled: false }, { enabled: false, issuer: "https://b.test" }, false],
    [null, { ...on, enabled: false }, false],
  ] as const)("%j → %j: %s", (before, after, expected) => {
    expect(ssoChangeEndsSessions(before, after)).toBe(expected);
  });
});
