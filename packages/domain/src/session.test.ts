import { describe, expect, it } from "vitest";
import {
  DEFAULT_SESSION_IDLE_IN_MINUTES,
  DEFAULT_SESSION_TTL_IN_HOURS,
  SESSION_TOKEN_BYTES,
} from "./constants.js";
import type { SessionRecord } from "./entities.js";
import {
  isSessionLive,
  liveSessionBounds,
  type SessionLifetime,
  sessionExpiresAt,
  sessionHoldOf,
} from "./session.js";

const t0 = new Date("2026-01-01T00:00:00Z");
const hour = 3600;
const minute = 60;

/** t0 plus a number of seconds (fractions allowed). */
function at(seconds: number): Date {
  return new Date(t0.getTime() + seconds * 1000);
}

const lifetime: SessionLifetime = { ttlInHours: 12, idleInMinutes: 30 };

function session(lastSeenAt: Date, revokedAt: Date | null = null): SessionRecord {
  return { createdAt: t0, lastSeenAt, revokedAt };
}

describe("S5 session defaults", () => {
  it.each<[string, number, number]>([
    ["absolute lifetime in hours", DEFAULT_SESSION_TTL_IN_HOURS, 12],
    ["idle lifetime in minutes", DEFAULT_SESSION_IDLE_IN_MINUTES, 30],
    ["token bytes (≥ 128 bits)", SESSION_TOKEN_BYTES, 32],
  ])("S5 %s = $2", (_label, actual, expected) => {
    expect(actual).toBe(expected);
  });
});

describe("S5 isSessionLive: until revoked, past its absolute lifetime, or idle too long", () => {
  it.each<[string, SessionRecord, Date, boolean]>([
    ["just created", session(t0), t0, true],
    ["idle 1 ms less than 30 minutes", session(t0), at(30 * minute - 0.001), true],
    ["idle exactly 30 minutes", session(t0), at(30 * minute), false],
    ["idle more than 30 minutes", session(t0), at(31 * minute), false],
    ["seen recently, 1 ms before 12 hours", session(at(12 * hour - 60)), at(12 * hour - 0.001), true],
    ["seen recently, exactly 12 hours after creation", session(at(12 * hour - 60)), at(12 * hour), false],
    ["seen recently, after 12 hours", session(at(12 * hour)), at(12 * hour + 1), false],
    ["revoked before now", session(t0, t0), at(1), false],
    ["revoked, even right at creation", session(t0, t0), t0, false],
  ])("S5 %s → $3", (_label, input, now, expected) => {
    expect(isSessionLive(input, lifetime, now)).toBe(expected);
  });

  it.each<[string, SessionLifetime, Date, boolean]>([
    ["a 1-hour lifetime at 59 minutes", { ttlInHours: 1, idleInMinutes: 120 }, at(59 * minute), true],
    ["a 1-hour lifetime at 60 minutes", { ttlInHours: 1, idleInMinutes: 120 }, at(hour), false],
    ["a 5-minute idle limit at 4 minutes", { ttlInHours: 12, idleInMinutes: 5 }, at(4 * minute), true],
    ["a 5-minute idle limit at 5 minutes", { ttlInHours: 12, idleInMinutes: 5 }, at(5 * minute), false],
  ])("S5 configured lifetimes: %s → $3", (_label, configured, now, expected) => {
    expect(isSessionLive(session(t0), configured, now)).toBe(expected);
  });
});

describe("S5 sessionExpiresAt: the earlier of the absolute and idle ends", () => {
  it.each<[string, SessionRecord, Date]>([
    ["idle end comes first", session(t0), at(30 * minute)],
    [
      "idle end just before the absolute end",
      session(at(11 * hour + 29 * minute)),
      at(11 * hour + 59 * minute),
    ],
    ["both ends coincide", session(at(11 * hour + 30 * minute)), at(12 * hour)],
    ["absolute end comes first", session(at(11 * hour + 50 * minute)), at(12 * hour)],
  ])("S5 %s → $2", (_label, input, expected) => {
    const expiresAt = sessionExpiresAt(input, lifetime);
    expect(expiresAt).toBeInstanceOf(Date);
    expect(expiresAt).toEqual(expected);
  });

  it("S5 a session is live 1 ms before sessionExpiresAt and not at it", () => {
    const input = session(at(11 * hour + 50 * minute));
    const expiresAt = sessionExpiresAt(input, lifetime);
    expect(isSessionLive(input, lifetime, new Date(expiresAt.getTime() - 1))).toBe(true);
    expect(isSessionLive(input, lifetime, expiresAt)).toBe(false);
  });
});

describe("§6.2 and Require 2FA: what a live session may reach", () => {
  it.each([
    [false, "not_required", null],
    [false, "grace", null],
    [false, "required_now", "TWO_FACTOR_ENROLMENT_REQUIRED"],
    [true, "not_required", "PASSWORD_CHANGE_REQUIRED"],
    // The inviter's password would open the setup: the password change comes first.
    [true, "required_now", "PASSWORD_CHANGE_REQUIRED"],
  ])("mustChangePassword %s, enrolment %s → %s", (mustChangePassword, state, hold) => {
    expect(sessionHoldOf({ mustChangePassword, enrolment: { state } })).toBe(hold);
  });
});

describe("§6.5 liveSessionBounds: the bounds of isSessionLive, for a query", () => {
  const liveByBounds = (record: SessionRecord, now: Date) => {
    const bounds = liveSessionBounds(lifetime, now);
    return (
      record.revokedAt === null &&
      record.createdAt.getTime() > bounds.createdAfter.getTime() &&
      record.lastSeenAt.getTime() > bounds.lastSeenAfter.getTime()
    );
  };
  it.each<[string, SessionRecord, Date]>([
    ["just created", session(t0), t0],
    ["idle 1 ms less than 30 minutes", session(t0), at(30 * minute - 0.001)],
    ["idle exactly 30 minutes", session(t0), at(30 * minute)],
    ["seen recently, 1 ms before 12 hours", session(at(12 * hour - 60)), at(12 * hour - 0.001)],
    ["seen recently, exactly 12 hours after creation", session(at(12 * hour - 60)), at(12 * hour)],
    ["revoked", session(t0, t0), at(1)],
  ])("§6.5 %s: the same answer as isSessionLive", (_label, record, now) => {
    expect(liveByBounds(record, now)).toBe(isSessionLive(record, lifetime, now));
  });
});
