import { cleanup, render, screen } from "@solidjs/testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { EnrolmentBanner } from "./enrolment-banner.js";
import { dateFromDeadline, deadlineFromDate } from "./member-two-factor-policy.js";
import { describeCompliance } from "./team-compliance.js";

afterEach(cleanup);

describe("Require 2FA for members in the web apps", () => {
  it.each([
    [
      { total: 10, enabled: 8, notEnabled: 1, exempt: 1, locked: 0 },
      "8 of 10 members use 2FA · 1 SSO exempt · 1 without 2FA",
    ],
    [
      { total: 1, enabled: 0, notEnabled: 1, exempt: 0, locked: 0 },
      "0 of 1 member uses 2FA · 0 SSO exempt · 1 without 2FA",
    ],
  ])("the Team page's compliance line for %o", (counts, sentence) => {
    expect(describeCompliance(counts)).toBe(sentence);
  });

  it("the deadline's date input is that day's midnight in the browser's zone, and back", () => {
    const deadline = deadlineFromDate("2026-03-07");
    expect(deadline).toBe(new Date(2026, 2, 7).toISOString());
    expect(dateFromDeadline(deadline)).toBe("2026-03-07");
    expect(deadlineFromDate("")).toBeNull();
    expect(dateFromDeadline(null)).toBe("");
  });

  it.each([
    [
      { enrolment: "required_now", daysLeft: null },
      "Your team requires two-factor authentication. Set it up to continue.",
    ],
    [
      { enrolment: "grace", daysLeft: 5 },
      "Your team requires two-factor authentication in 5 days. Set it up now.",
    ],
    [
      { enrolment: "grace", daysLeft: 1 },
      "Your team requires two-factor authentication in 1 day. Set it up now.",
    ],
  ] as const)("the banner for %o", (state, sentence) => {
    render(() => (
      <EnrolmentBanner policy={{ required: true, deadline: null, ...state }} setupHref="/member/settings" />
    ));
    expect(screen.getByText(/Your team requires/).textContent).toBe(sentence);
  });

  it("no banner when the policy asks nothing", () => {
    render(() => (
      <EnrolmentBanner
        policy={{ required: true, deadline: null, enrolment: "not_required", daysLeft: null }}
        setupHref="/member/settings"
      />
    ));
    expect(screen.queryByText(/Your team requires/)).toBeNull();
  });
});
