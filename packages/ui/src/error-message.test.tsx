import { describeError, errorCodes } from "@cloud2fa/domain";
import { cleanup, render, screen } from "@solidjs/testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";

afterEach(cleanup);

describe("ErrorMessage", () => {
  it.each([
    [new ApiError("INVALID_CODE", "Invalid code", 400), describeError("INVALID_CODE")],
    [new ApiError("ACCOUNT_NOT_ACTIVE", "x", 409), describeError("ACCOUNT_NOT_ACTIVE")],
    [
      new ApiError("TOO_MANY_ATTEMPTS", "x", 429, 42),
      `${describeError("TOO_MANY_ATTEMPTS")} Try again in 42 seconds.`,
    ],
    [new ApiError("SOMETHING_NEW", "The server's own words.", 400), "The server's own words."],
    [
      new TypeError("Failed to fetch"),
      "The service could not be reached. Check your connection and try again.",
    ],
  ])("%o → the sentence, announced as an alert", (error, sentence) => {
    render(() => <ErrorMessage error={error} />);
    expect(screen.getByRole("alert").textContent).toBe(sentence);
  });

  it.each(errorCodes)("%s has a sentence for a person, not the code", (code) => {
    render(() => <ErrorMessage error={new ApiError(code, "", 400)} />);
    const sentence = screen.getByRole("alert").textContent ?? "";
    expect(sentence).toBe(describeError(code));
    expect(sentence).toMatch(/^[A-Z].*\.$/);
    expect(sentence).not.toContain(code);
  });

  it("renders nothing without an error", () => {
    render(() => <ErrorMessage error={null} />);
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
