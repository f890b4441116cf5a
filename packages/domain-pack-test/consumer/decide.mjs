// Run by the pack test in a scratch project outside the workspace, with @cloud2fa/domain installed from its tarball.
import {
  canConfigureTwoFactor,
  canPerformTeamActionOn,
  createTotpSecret,
  describeError,
  generateTotpCode,
  memberEnrolment,
  STEP_UP_TTL_IN_SECONDS,
  stepUpDecision,
  TOTP_SECRET_BYTES,
  totpStepAt,
  verifyTotpCode,
} from "@cloud2fa/domain";
import manifest from "@cloud2fa/domain/package.json" with { type: "json" };

const root = {
  kind: "root",
  id: "usr_root",
  accountId: "acc_1",
  email: "owner@example.com",
  isEmailVerified: true,
};
const administrator = {
  kind: "member",
  id: "mem_ada",
  accountId: "acc_1",
  email: "ada@example.com",
  roles: ["administrator"],
  status: "active",
  isSso: false,
};
const ssoMember = {
  ...administrator,
  id: "mem_sam",
  email: "sam@example.com",
  roles: ["project_user"],
  isSso: true,
};

const now = new Date("2026-01-05T09:00:10Z");
const secret = createTotpSecret(crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES)));
const code = generateTotpCode({ secret, at: now });
const accepted = verifyTotpCode({ secret, code, now, lastAcceptedStep: null });
const replayed = verifyTotpCode({ secret, code, now, lastAcceptedStep: accepted.ok ? accepted.step : null });

let deepImport = "resolved";
try {
  await import("@cloud2fa/domain/dist/team.js");
} catch (error) {
  deepImport = error.code;
}

const stepUpAt = (secondsAgo) =>
  stepUpDecision({ actorHasTwoFactor: true, steppedUpAt: new Date(now.getTime() - secondsAgo * 1000) }, now);

console.log(
  JSON.stringify({
    version: manifest.version,
    administratorRemovesTwoFactor: canPerformTeamActionOn(administrator, "mem_bob", "removeTwoFactor"),
    rootRemovesTwoFactor: canPerformTeamActionOn(root, "mem_bob", "removeTwoFactor"),
    message: describeError("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR"),
    steppedUpAMinuteAgo: stepUpAt(60),
    steppedUpTooLongAgo: stepUpAt(STEP_UP_TTL_IN_SECONDS),
    ssoConfiguresTwoFactor: canConfigureTwoFactor(ssoMember, { state: "none" }),
    enrolmentPastDeadline: memberEnrolment(
      { policy: { required: true, deadline: now }, user: administrator, hasTwoFactor: false },
      now,
    ),
    totp: { secretLength: secret.length, accepted, expectedStep: totpStepAt(now), replayed },
    deepImport,
  }),
);
