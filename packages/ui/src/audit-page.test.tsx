import { auditEventTypes } from "@cloud2fa/domain";
import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { type AuditClient, AuditPage, type AuditQuery, auditQueryOf } from "./audit-page.js";
import { type AuditEventView, auditEventNames, describeAuditEvent } from "./audit-words.js";

afterEach(cleanup);

const empty = { member: "", action: "", fromDate: "", toDate: "" };

describe("auditQueryOf", () => {
  it("no filter → no parameter", () => {
    expect(auditQueryOf(empty)).toEqual({});
  });

  it("a member, one action, or every two-factor action", () => {
    expect(auditQueryOf({ ...empty, member: "mem_1", action: "member.invited" })).toEqual({
      member: "mem_1",
      type: ["member.invited"],
    });
    expect(auditQueryOf({ ...empty, action: "two_factor" }).type).toEqual(
      auditEventTypes.filter((type) => type.startsWith("two_factor.")),
    );
  });

  it("days are local: from the start of the first to the start of the day after the last", () => {
    const query = auditQueryOf({ ...empty, fromDate: "2026-03-02", toDate: "2026-03-02" });
    expect(query.from).toBe(new Date(2026, 2, 2).toISOString());
    expect(query.to).toBe(new Date(2026, 2, 3).toISOString());
  });

  it("every action has a name", () => {
    for (const type of auditEventTypes) expect(auditEventNames[type]).toMatch(/^[A-Z0-9]/);
  });
});

describe("AuditPage", () => {
  it("applies the chosen filters to the list and to the CSV link", async () => {
    const asked: AuditQuery[] = [];
    const client: AuditClient = {
      list: async (query) => {
        asked.push(query);
        return { events: [], nextCursor: null };
      },
      exportUrl: (query) => `/export.csv?${new URLSearchParams(query as Record<string, string>)}`,
      members: async () => [{ id: "mem_1", email: "ada@example.com" }],
    };
    render(() => <AuditPage client={client} />);
    await waitFor(() => expect(asked).toEqual([{}]));
    await screen.findByRole("option", { name: "ada@example.com" });
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText("Member"), "mem_1");
    await user.selectOptions(screen.getByLabelText("Action"), "Code rejected");
    await user.click(screen.getByRole("button", { name: "Apply filters" }));
    await waitFor(() =>
      expect(asked.at(-1)).toEqual({ member: "mem_1", type: ["two_factor.code_rejected"] }),
    );
    expect(screen.getByRole("link", { name: "Download CSV" }).getAttribute("href")).toBe(
      "/export.csv?member=mem_1&type=two_factor.code_rejected",
    );
    await user.click(screen.getByRole("button", { name: "Clear" }));
    await waitFor(() => expect(asked.at(-1)).toEqual({}));
  });
});

const removal: AuditEventView = {
  id: "aud_1",
  type: "two_factor.removed",
  actor: { email: "root@example.com" },
  subject: { email: "ana@example.com" },
  at: "2026-03-02T10:00:00.000Z",
  clientAddress: "127.0.0.1",
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0",
  browser: "Chrome",
  os: "Linux",
  detail: { method: "totp", reason: "Lost phone" },
};

describe("audit events in words", () => {
  it.each<[Partial<AuditEventView>, string]>([
    [{}, "2FA removed by root@example.com, reason: Lost phone (authenticator app)"],
    [
      { type: "two_factor.code_rejected", detail: { purpose: "sign_in", method: "totp" } },
      "Code rejected at sign-in (authenticator app)",
    ],
    [
      { type: "member.roles_changed", detail: { from: ["project_user"], to: ["auditor"] } },
      "Roles changed from Project User to Auditor by root@example.com",
    ],
    [
      { type: "member.status_changed", detail: { from: "active", to: "disabled" } },
      "Member made disabled by root@example.com",
    ],
    [
      { type: "two_factor.factor_locked", detail: { failedCodes: 100 } },
      "2FA locked after 100 wrong codes in a row",
    ],
    [{ type: "some.future_event", detail: {} }, "some.future_event"],
  ])("%o → %s", (change, words) => {
    expect(describeAuditEvent({ ...removal, ...change })).toBe(words);
  });

  it("the audit page shows an event in words with the browser and OS, and its raw record under Details", async () => {
    const client: AuditClient = {
      list: async () => ({ events: [removal], nextCursor: null }),
      exportUrl: () => "/export.csv",
      members: async () => [],
    };
    render(() => <AuditPage client={client} />);
    await screen.findByText("2FA removed by root@example.com, reason: Lost phone (authenticator app)");
    expect(screen.getByText("Chrome on Linux")).toBeTruthy();
    expect(screen.getByText("two_factor.removed").closest("details")).toBeTruthy();
    expect(screen.getByText(removal.userAgent ?? "")).toBeTruthy();
  });
});
