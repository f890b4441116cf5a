import type { AppType } from "@cloud2fa/api";
import { hc } from "hono/client";
import type { AuditClient } from "./audit-page.js";
import { expectOk } from "./errors.js";
import type { MemberTwoFactorPolicyClient } from "./member-two-factor-policy.js";
import type { SsoSettingsClient } from "./sso-settings-card.js";
import type { StepUpClient } from "./step-up-prompt.js";
import type { MemberPatch, TeamClient } from "./team-page.js";
import type { TeamSettingsClient } from "./team-settings-card.js";
import type { TwoFactorClient } from "./two-factor-settings.js";

// The one client of the API, typed from the API's own routes; the session is an HttpOnly cookie.
export const api = hc<AppType>(window.location.origin).api;

/** The signed-in user or null: GET /api/session answers 200 either way, so a signed-out page makes no 401. */
export const loadMe = async () => (await expectOk(api.session.$get())).me;

export const twoFactorClient: TwoFactorClient = {
  startSetup: (method, password) =>
    expectOk(api.me["two-factor"].setup.$post({ json: { method, password } })),
  confirmSetup: async (code) => {
    const confirmed = await expectOk(api.me["two-factor"].setup.confirm.$post({ json: { code } }));
    return confirmed.recoveryCodes ?? null;
  },
  regenerateRecoveryCodes: async (code) =>
    (await expectOk(api.me["two-factor"]["recovery-codes"].$post({ json: { code } }))).recoveryCodes,
  sendActionCode: async () => {
    await expectOk(api.me["two-factor"].code.$post());
  },
  removeOwn: async (code) => {
    await expectOk(api.me["two-factor"].$delete({ json: { code } }));
  },
};

const member = api.team.members[":id"];

export const stepUpClient: StepUpClient = {
  stepUp: async (code) => {
    await expectOk(api.me["step-up"].$post({ json: { code } }));
  },
  sendActionCode: twoFactorClient.sendActionCode,
};

export const teamClient: TeamClient = {
  list: async () => (await expectOk(api.team.members.$get({ query: {} }))).members,
  invite: async (input) => {
    await expectOk(api.team.members.$post({ json: input }));
  },
  update: async (id: string, patch: MemberPatch) => {
    await expectOk(member.$patch({ param: { id }, json: patch }));
  },
  remove: async (id) => {
    await expectOk(member.$delete({ param: { id } }));
  },
  removeTwoFactor: async (id, reason) => {
    await expectOk(member["two-factor"].$delete({ param: { id }, json: reason ? { reason } : {} }));
  },
  stepUp: stepUpClient,
};

export const teamSettingsClient: TeamSettingsClient = {
  read: () => expectOk(api.team.settings.$get()),
  update: (settings) => expectOk(api.team.settings.$patch({ json: settings })),
  stepUp: stepUpClient,
};

const twoFactorPolicy = api.team.settings["two-factor-policy"];

export const memberTwoFactorPolicyClient: MemberTwoFactorPolicyClient = {
  read: () => expectOk(twoFactorPolicy.$get()),
  update: (policy) => expectOk(twoFactorPolicy.$patch({ json: policy })),
};

const auditEvents = api.team["audit-events"];

export const auditClient: AuditClient = {
  list: (query, cursor) => expectOk(auditEvents.$get({ query: cursor ? { ...query, cursor } : query })),
  exportUrl: (query) => auditEvents["export.csv"].$url({ query }).toString(),
  members: async () => (await expectOk(api.team.members.$get({ query: {} }))).members,
};

export const signOut = () => expectOk(api.auth.logout.$post());

const challenge = api.auth.challenges[":challengeId"];

/** The code step of a sign-in, the same for root users and members. */
export const challengeClient = {
  verify: async (challengeId: string, code: string) => {
    await expectOk(challenge.verify.$post({ param: { challengeId }, json: { code } }));
  },
  recover: async (challengeId: string, code: string) => {
    await expectOk(challenge.recovery.$post({ param: { challengeId }, json: { code } }));
  },
  resend: async (challengeId: string) => {
    await expectOk(challenge.resend.$post({ param: { challengeId } }));
  },
};

// §7: single sign-on.
export const ssoSettingsClient: SsoSettingsClient = {
  read: () => expectOk(api.team.sso.$get()),
  save: (input) => expectOk(api.team.sso.$put({ json: input })),
  remove: async () => {
    await expectOk(api.team.sso.$delete());
  },
  stepUp: stepUpClient,
};
