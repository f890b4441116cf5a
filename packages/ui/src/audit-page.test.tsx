import { auditEventTypes } from "@cloud2fa/domain";
import { cleanup, render, screen, waitFor } from "@solidjs/testing-library";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { type AuditClient, AuditPage, type AuditQuery, auditEventNames, auditQueryOf } from "./audit-page.js";

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
