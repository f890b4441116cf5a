import { describe, expect, it } from "vitest";
import { readPostgresUrl } from "./postgres-url.js";

describe("the pgbouncer mark of a DATABASE_URL", () => {
  it.each([
    ["postgres://u@db:5432/x", "postgres://u@db:5432/x", undefined],
    ["postgres://u@bouncer:6432/x?pgbouncer=true", "postgres://u@bouncer:6432/x", true],
    ["postgres://u@bouncer:6432/x?pgbouncer=false", "postgres://u@bouncer:6432/x", false],
    [
      "postgres://u:p%40ss@bouncer:6432/x?sslmode=require&pgbouncer=true&application_name=c2f",
      "postgres://u:p%40ss@bouncer:6432/x?sslmode=require&application_name=c2f",
      true,
    ],
    ["postgres://u@h1:5432,h2:5432/x?pgbouncer=true", "postgres://u@h1:5432,h2:5432/x", true],
    ["postgres://u@db/x?sslmode=require", "postgres://u@db/x?sslmode=require", undefined],
  ])(
    "%s → %s (pgbouncer: %s), the parameter taken off: PostgreSQL would refuse it as a setting",
    (given, url, isPgBouncer) => {
      expect(readPostgresUrl(given)).toEqual({ url, isPgBouncer });
    },
  );
});
