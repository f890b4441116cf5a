import { describe, expect, it } from "vitest";

declare global {
  interface ImportMeta {
    /** Vite's: the files matching the patterns, read at build time. */
    glob(
      patterns: string[],
      options: { query: "?raw"; import: "default"; eager: true },
    ): Record<string, string>;
  }
}

// Spec ids (R8, S3, §6.1) belong in comments and test names, never in what a person reads.
const sources = import.meta.glob(
  [
    "./**/*.{ts,tsx}",
    "../../../apps/console/src/**/*.{ts,tsx}",
    "../../../apps/member-portal/src/**/*.{ts,tsx}",
    "!./**/*.test.{ts,tsx}",
  ],
  { query: "?raw", import: "default", eager: true },
);

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

describe("UI text", () => {
  it("no spec id like (R8), (R10), S3 or §6.1 in any text of the two apps and their components", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    const found = Object.entries(sources).flatMap(([path, source]) =>
      [...withoutComments(source).matchAll(/\b[RS]\d{1,2}\b|§\d|\bissue \d/g)].map(
        (match) => `${path}: ${match[0]}`,
      ),
    );
    expect(found).toEqual([]);
  });
});
