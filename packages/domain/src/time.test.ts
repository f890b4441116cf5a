import { describe, expect, it } from "vitest";
import { addSeconds, isPast, secondsUntil } from "./time.js";

const t0 = new Date("2026-01-01T00:00:00Z");

function plusMilliseconds(milliseconds: number): Date {
  return new Date(t0.getTime() + milliseconds);
}

describe("addSeconds", () => {
  it.each<[number, string]>([
    [0, "2026-01-01T00:00:00.000Z"],
    [1, "2026-01-01T00:00:01.000Z"],
    [0.5, "2026-01-01T00:00:00.500Z"],
    [600, "2026-01-01T00:10:00.000Z"],
    [86_400, "2026-01-02T00:00:00.000Z"],
    [-60, "2025-12-31T23:59:00.000Z"],
  ])("t0 + %s s → %s", (seconds, expected) => {
    expect(addSeconds(t0, seconds).toISOString()).toBe(expected);
  });

  it("returns a new Date and leaves its input unchanged", () => {
    const input = new Date(t0);
    const result = addSeconds(input, 10);
    expect(result).not.toBe(input);
    expect(input).toEqual(t0);
  });
});

describe("secondsUntil: the Retry-After value", () => {
  it.each<[number, number]>([
    [60_000, 60],
    [59_001, 60],
    [59_000, 59],
    [1_500, 2],
    [1_000, 1],
    [1, 1],
    [0, 1],
    [-5_000, 1],
  ])("%i ms ahead → %i s", (milliseconds, expected) => {
    expect(secondsUntil(plusMilliseconds(milliseconds), t0)).toBe(expected);
  });
});

describe("isPast: a moment is past once now reaches it", () => {
  it.each<[number, boolean]>([
    [-1, true],
    [0, true],
    [1, false],
    [60_000, false],
  ])("at = now + %i ms → %s", (milliseconds, expected) => {
    expect(isPast(plusMilliseconds(milliseconds), t0)).toBe(expected);
  });
});
