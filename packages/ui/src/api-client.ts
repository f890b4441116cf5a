import type { AppType } from "@cloud2fa/api";
import { hc } from "hono/client";
import type { AuditClient } from "./audit-page.js";
import type { ChangePasswordClient } from "./change-password-card.js";
import type { EmailChangeClient } from "./email-change-card.js";
import { expectOk } from "./errors.js";
import type { MemberTwoFactorPolicyClient } from "./member-two-factor-policy.js";
import type { PasswordResetClient } from "./password-reset.js";
import type { ServiceCredentialsClient } from "./service-credentials-card.js";
import type { SessionsClient } from "./sessions-card.js";
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
  signOutEverywhere: async (id) => {
    await expectOk(member.sessions.$delete({ param: { id } }));
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

const ownSessions = api.me.sessions;

/** §6.5: where the signed-in user is signed in. */
export const sessionsClient: SessionsClient = {
  list: async () => (await expectOk(ownSessions.$get())).sessions,
  end: async (id) => {
    await expectOk(ownSessions[":id"].$delete({ param: { id } }));
  },
  endOthers: async () => {
    await expectOk(ownSessions.$delete());
  },
};

// §6.4 Root email change: the Security page's card, and the page of the link.
export const emailChangeClient: EmailChangeClient = {
  requestChange: async (newEmail, password) => {
    await expectOk(api.me.email.$post({ json: { newEmail, password } }));
  },
  stepUp: stepUpClient,
};

export const confirmEmailChange = (token: string) =>
  expectOk(api.me.email.confirm.$post({ json: { token } }));

/** §6.2: the password change of the Security page (and the portal's "Choose a new password" screen). */
export const changePasswordClient: ChangePasswordClient = {
  changePassword: async (currentPassword, newPassword) => {
    await expectOk(api.me.password.$post({ json: { currentPassword, newPassword } }));
  },
  stepUp: stepUpClient,
};

/** §6.1 forgot password: the request (same answer for every address) and the mailed link's confirm. */
export const passwordResetClient: PasswordResetClient = {
  request: async (input) => {
    await expectOk(api.auth["password-reset"].$post({ json: input }));
  },
  confirm: async (token, password) => {
    await expectOk(api.auth["password-reset"].confirm.$post({ json: { token, password } }));
  },
};

const serviceCredentials = api.team["service-credentials"];

/** §8.1: the root user's credentials for other services. */
export const serviceCredentialsClient: ServiceCredentialsClient = {
  list: async () => (await expectOk(serviceCredentials.$get())).credentials,
  create: (name) => expectOk(serviceCredentials.$post({ json: { name } })),
  revoke: async (id) => {
    await expectOk(serviceCredentials[":id"].$delete({ param: { id } }));
  },
  stepUp: stepUpClient,
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
