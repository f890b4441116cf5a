import { cleanup, render, screen } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { QrSetupPanel } from "./qr-setup-panel.js";

afterEach(cleanup);

const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const qrCode = "data:image/svg+xml;base64,PHN2Zy8+";

describe("QrSetupPanel", () => {
  it("shows the QR code and the manual key in groups of four", () => {
    render(() => <QrSetupPanel qrCode={qrCode} secret={secret} />);
    expect(screen.getByRole("img", { name: /QR code/ }).getAttribute("src")).toBe(qrCode);
    expect(screen.getByTestId("manual-key").textContent).toBe("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");
  });

  it("the manual key never breaks inside a group: each group of four is an unbreakable unit", () => {
    render(() => <QrSetupPanel qrCode={qrCode} secret={secret} />);
    const groups = [...screen.getByTestId("manual-key").querySelectorAll(".key-group")];
    expect(groups.map((group) => group.textContent)).toEqual([
      "JBSW",
      "Y3DP",
      "EHPK",
      "3PXP",
      "JBSW",
      "Y3DP",
      "EHPK",
      "3PXP",
    ]);
  });

  it("copies the key without spaces and says so", async () => {
    const user = userEvent.setup();
    render(() => <QrSetupPanel qrCode={qrCode} secret={secret} />);
    await user.click(screen.getByRole("button", { name: "Copy key" }));
    await expect(navigator.clipboard.readText()).resolves.toBe(secret);
    expect(screen.getByRole("status").textContent).toContain("Copied to the clipboard.");
  });

  it("says how to copy by hand when the clipboard refuses", async () => {
    const user = userEvent.setup();
    vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new Error("denied"));
    render(() => <QrSetupPanel qrCode={qrCode} secret={secret} />);
    await user.click(screen.getByRole("button", { name: "Copy key" }));
    expect((await screen.findByRole("status")).textContent).toContain(
      "Copy failed: select the key and copy it.",
    );
  });
});
