import { describe, expect, it } from "vitest";
import { extractCode, formatCountdown, groupKey, isCompleteCode } from "./code.js";

describe("extractCode", () => {
  it.each([
    ["123456", "123456"],
    ["123 456", "123456"],
    [" 123-456 ", "123456"],
    ["12345678", "123456"],
    ["12a3", "123"],
    ["", ""],
    ["١٢٣٤٥٦", ""],
  ])("%j → %j", (input, expected) => {
    expect(extractCode(input)).toBe(expected);
  });
});

describe("isCompleteCode", () => {
  it.each([
    ["123456", true],
    ["12345", false],
    ["", false],
  ])("%j → %j", (input, expected) => {
    expect(isCompleteCode(input)).toBe(expected);
  });
});

describe("groupKey / formatCountdown", () => {
  it("groups a key by four", () => {
    expect(groupKey("JBSWY3DPEHPK3PXPJ")).toBe("JBSW Y3DP EHPK 3PXP J");
  });
  it.each([
    [60, "1:00"],
    [59, "0:59"],
    [5, "0:05"],
  ])("%j s → %j", (seconds, expected) => {
    expect(formatCountdown(seconds)).toBe(expected);
  });
});
