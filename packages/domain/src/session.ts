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
