import { describeError, weakPasswordReasons } from "@cloud2fa/domain";
import { cleanup, render, screen } from "@solidjs/testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorMessage } from "./error-message.js";
import { ApiError } from "./errors.js";
import { NewPasswordField } from "./new-password-field.js";

afterEach(cleanup);

const weak = (field: string, reason: string) =>
  new ApiError("WEAK_PASSWORD", "server words", 400, null, field, reason);

function Form(props: { error: unknown }) {
  return (
    <form>
      <NewPasswordField id="new" name="newPassword" label="New password" error={props.error} />
      <ErrorMessage error={props.error} besideFields={["newPassword"]} />
    </form>
  );
}

describe("§6.3 a refused new password is explained beside its field", () => {
  it.each(Object.entries(weakPasswordReasons))(
    "%s: the reason's sentence by the field, once",
    (reason, sentence) => {
      render(() => <Form error={weak("newPassword", reason)} />);
      const alerts = screen.getAllByRole("alert");
      expect(alerts.map((alert) => alert.textContent)).toEqual([sentence]);
      const input = screen.getByLabelText("New password");
      expect(input.getAttribute("aria-invalid")).toBe("true");
      expect(input.getAttribute("aria-describedby")).toContain("new-error");
    },
  );

  it("a refusal of another field is not this field's: the form's message says it", () => {
    render(() => <Form error={weak("password", "common")} />);
    expect(screen.getByLabelText("New password").getAttribute("aria-invalid")).toBeNull();
    expect(screen.getAllByRole("alert").map((alert) => alert.textContent)).toEqual([
      weakPasswordReasons.common,
    ]);
  });

  it("an unknown reason still gets the catalog's sentence, and other errors stay with the form", () => {
    render(() => <Form error={weak("newPassword", "new_reason")} />);
    expect(screen.getByRole("alert").textContent).toBe(describeError("WEAK_PASSWORD"));
    cleanup();
    render(() => <Form error={new ApiError("INVALID_CREDENTIALS", "x", 401)} />);
    expect(screen.getByRole("alert").textContent).toBe(describeError("INVALID_CREDENTIALS"));
    expect(screen.getByLabelText("New password").getAttribute("aria-invalid")).toBeNull();
  });
});
