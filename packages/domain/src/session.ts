import type { SessionRecord } from "./entities.js";
import { addSeconds, isPast } from "./time.js";

export interface SessionLifetime {
  ttlInHours: number;
  idleInMinutes: number;
}

/** S5: a session lives until revoked, its absolute lifetime ends, or it is idle too long. */
export function isSessionLive(session: SessionRecord, lifetime: SessionLifetime, now: Date): boolean {
  if (session.revokedAt !== null) return false;
  if (isPast(addSeconds(session.createdAt, lifetime.ttlInHours * 3600), now)) return false;
  return !isPast(addSeconds(session.lastSeenAt, lifetime.idleInMinutes * 60), now);
}

export function sessionExpiresAt(session: SessionRecord, lifetime: SessionLifetime): Date {
  const absolute = addSeconds(session.createdAt, lifetime.ttlInHours * 3600);
  const idle = addSeconds(session.lastSeenAt, lifetime.idleInMinutes * 60);
  return absolute.getTime() <= idle.getTime() ? absolute : idle;
}

/**
 * What a live session may reach: `full`, or only the few routes that end a hold on it. §6.2: a member
 * still on its inviter's password reaches only who-am-I, the password change and sign-out (not even
 * the 2FA setup: its inviter knows that password too). Require 2FA for members: past the deadline,
 * only who-am-I and the setup.
 */
export type SessionHold = "PASSWORD_CHANGE_REQUIRED" | "TWO_FACTOR_ENROLMENT_REQUIRED";

export function sessionHoldOf(input: {
  mustChangePassword: boolean;
  enrolment: { state: string };
}): SessionHold | null {
  if (input.mustChangePassword) return "PASSWORD_CHANGE_REQUIRED";
  if (input.enrolment.state === "required_now") return "TWO_FACTOR_ENROLMENT_REQUIRED";
  return null;
}

/**
 * §6.5: `isSessionLive` as bounds a query can use: a session is live exactly when it is not revoked,
 * was created after `createdAfter` and last seen after `lastSeenAfter` (both exclusive).
 */
export function liveSessionBounds(
  lifetime: SessionLifetime,
  now: Date,
): { createdAfter: Date; lastSeenAfter: Date } {
  return {
    createdAfter: addSeconds(now, -lifetime.ttlInHours * 3600),
    lastSeenAfter: addSeconds(now, -lifetime.idleInMinutes * 60),
  };
}
