import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, isTransientConflict, isUniqueViolation } from "./errors.js";

// Drizzle wraps the driver's error in `cause`; the classification must see through it.
const wrapped = (code: string) =>
  new Error("Failed query", { cause: Object.assign(new Error(code), { code }) });

describe("database errors by SQLSTATE", () => {
  it.each([
    ["40P01", { conflict: true, unavailable: false, unique: false }],
    ["40001", { conflict: true, unavailable: false, unique: false }],
    ["57P01", { conflict: false, unavailable: true, unique: false }],
    ["23505", { conflict: false, unavailable: false, unique: true }],
    ["42P01", { conflict: false, unavailable: false, unique: false }],
  ])("S7: %s", (code, expected) => {
    const error = wrapped(code);
    expect({
      conflict: isTransientConflict(error),
      unavailable: isDatabaseUnavailable(error),
      unique: isUniqueViolation(error),
    }).toEqual(expected);
  });
});
