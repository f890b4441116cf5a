import { describe, expect, it } from "vitest";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./constants.js";
import { checkNewPassword, weakPasswordReasons } from "./password.js";

const common = new Set(["password1234", "qwertyuiop123"]);
const context = { email: "Ada@Example.com", isCommon: (lowerCased: string) => common.has(lowerCased) };

describe("§6.3 new password rules", () => {
  it.each([
    ["a".repeat(MIN_PASSWORD_LENGTH - 1), "too_short"],
    ["a".repeat(MAX_PASSWORD_LENGTH + 1), "too_long"],
    ["Password1234", "common"],
    ["QWERTYUIOP123", "common"],
    [" ada@example.com ", "same_as_email"],
    ["ada@example.com", "same_as_email"],
    ["ADA@EXAMPLE.COM", "same_as_email"],
  ])("%j is refused: %s", (password, reason) => {
    expect(checkNewPassword(password, context)).toEqual({ ok: false, reason });
  });

  it.each([
    ["correct horse battery staple"],
    ["a".repeat(MIN_PASSWORD_LENGTH)],
    ["a".repeat(MAX_PASSWORD_LENGTH)],
    ["no digits no capitals no symbols"],
  ])("%j is accepted (no composition rules)", (password) => {
    expect(checkNewPassword(password, context)).toEqual({ ok: true });
  });

  it("§6.3 length counts characters after NFKC: a ligature is two letters, an emoji one character", () => {
    // "ﬃ" (one code point) is "ffi" after NFKC: four of them are 12 characters.
    expect(checkNewPassword("ﬃﬃﬃﬃ", context)).toEqual({ ok: true });
    expect(checkNewPassword("ﬃﬃﬃ", context)).toEqual({ ok: false, reason: "too_short" });
    // Eleven emoji are 22 UTF-16 units but 11 characters.
    expect(checkNewPassword("🔑".repeat(11), context)).toEqual({ ok: false, reason: "too_short" });
    expect(checkNewPassword("🔑".repeat(MAX_PASSWORD_LENGTH), context)).toEqual({ ok: true });
  });

  it("§6.3 the list is asked with the lower-cased normalised password", () => {
    const asked: string[] = [];
    checkNewPassword("Ｆｕｌｌ Ｗｉｄｔｈ Ｐａｓｓ", {
      email: "x@example.com",
      isCommon: (p) => !!asked.push(p),
    });
    expect(asked).toEqual(["full width pass"]);
  });

  it("§6.2 a new password is not the one it replaces, compared after NFKC", () => {
    const replaced = "the inviter chose this one";
    expect(checkNewPassword(replaced, { ...context, replaced })).toEqual({
      ok: false,
      reason: "same_as_current",
    });
    expect(
      checkNewPassword("ﬃ ligatures are letters", { ...context, replaced: "ffi ligatures are letters" }),
    ).toEqual({
      ok: false,
      reason: "same_as_current",
    });
    expect(checkNewPassword(`${replaced}!`, { ...context, replaced })).toEqual({ ok: true });
    expect(checkNewPassword(replaced, context)).toEqual({ ok: true });
  });

  it("every reason has a sentence for the page", () => {
    for (const sentence of Object.values(weakPasswordReasons)) expect(sentence).toMatch(/\.$/);
  });
});
