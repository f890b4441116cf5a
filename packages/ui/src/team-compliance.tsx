import {
  type ComplianceMember,
  type TeamCompliance,
  type TwoFactorFilter,
  teamCompliance,
  twoFactorFilters,
} from "@cloud2fa/domain";
import { For } from "solid-js";

const filterNames: Record<TwoFactorFilter, string> = {
  all: "All",
  enabled: "Enabled",
  not_enabled: "Not enabled",
  exempt: "Exempt (SSO)",
};

export function toComplianceMember(member: {
  sso: boolean;
  twoFactor: { enabled: boolean };
}): ComplianceMember {
  return { isSso: member.sso, hasTwoFactor: member.twoFactor.enabled };
}

/** "8 of 10 members use 2FA · 1 SSO exempt · 1 without 2FA" */
export function describeCompliance(counts: TeamCompliance): string {
  return [
    `${counts.enabled} of ${counts.total} ${counts.total === 1 ? "member uses" : "members use"} 2FA`,
    `${counts.exempt} SSO exempt`,
    `${counts.notEnabled} without 2FA`,
  ].join(" · ");
}

/** Require 2FA for members: the Team page's compliance counts (the whole team) and its 2FA column filter. */
export function TeamComplianceBar(props: {
  members: readonly { sso: boolean; twoFactor: { enabled: boolean } }[];
  filter: TwoFactorFilter;
  onFilter: (filter: TwoFactorFilter) => void;
}) {
  return (
    <div class="compliance">
      <p data-testid="team-compliance">
        {describeCompliance(teamCompliance(props.members.map(toComplianceMember)))}
      </p>
      <label class="field inline">
        <span>2FA</span>{" "}
        <select
          aria-label="Filter by 2FA"
          value={props.filter}
          onChange={(event) => props.onFilter(event.currentTarget.value as TwoFactorFilter)}
        >
          <For each={twoFactorFilters}>
            {(filter) => <option value={filter}>{filterNames[filter]}</option>}
          </For>
        </select>
      </label>
    </div>
  );
}
