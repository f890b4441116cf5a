export function addSeconds(at: Date, seconds: number): Date {
  return new Date(at.getTime() + seconds * 1000);
}

/** Whole seconds from `now` until `until`, at least 1: the value of a Retry-After header. */
export function secondsUntil(until: Date, now: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
}

export function isPast(at: Date, now: Date): boolean {
  return at.getTime() <= now.getTime();
}
