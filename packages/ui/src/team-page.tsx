import {
  canChangeMemberStatus,
  canChangeSso,
  describeError,
  type ErrorCode,
  MAX_REMOVAL_REASON_LENGTH,
  type MemberRole,
  type MemberStatus,
  matchesTwoFactorFilter,
  type TwoFactorFilter,
  teamPermissions,
  teamPermissionsOn,
} from "@cloud2fa/domain";
import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { InviteForm, type InviteInput } from "./invite-form.js";
import { RoleChoices } from "./role-choices.js";
import { SsoStepUpPrompt } from "./sso-sign-in.js";
import { isStepUpRequired, type StepUpClient, StepUpPrompt } from "./step-up-prompt.js";
import { TeamComplianceBar, toComplianceMember } from "./team-compliance.js";
import { type MeView, roleNames, type TwoFactorSummaryView, toDomainUser, toTwoFactorState } from "./user.js";

export interface MemberView {
  id: string;
  email: string;
  roles: MemberRole[];
  status: MemberStatus;
  sso: boolean;
  twoFactor: TwoFactorSummaryView;
  remark: string;
}

export interface MemberPatch {
  status?: "active" | "disabled";
  roles?: MemberRole[];
  sso?: boolean;
}

export interface TeamClient {
  list: () => Promise<MemberView[]>;
  invite: (input: InviteInput) => Promise<void>;
  update: (id: string, patch: MemberPatch) => Promise<void>;
  remove: (id: string) => Promise<void>;
  removeTwoFactor: (id: string, reason: string) => Promise<void>;
  /** §6.5: ends every session and open sign-in of a member. */
  signOutEverywhere: (id: string) => Promise<void>;
  /** Step-up: the code prompt of a refused sensitive action. */
  stepUp: StepUpClient;
}

/** `asksReason`: the confirmation offers an optional reason, handed to `run` (Remove 2FA). */
type Confirmation = {
  text: string;
  action: string;
  asksReason?: boolean;
  run: (reason: string) => Promise<void>;
};

/** Where a refused invitation's step-up prompt waits (rows wait under their member's id). */
const INVITATION = "invitation";

/** The Team page: what each actor may do comes from the domain's teamPermissions (R5 for Remove 2FA). */
export function TeamPage(props: { actor: MeView; client: TeamClient }) {
  const actor = createMemo(() => toDomainUser(props.actor));
  const permissions = createMemo(() => teamPermissions(actor()));
  /** What the actor may do on one member's row: nobody changes its own membership. */
  const permissionsOn = (member: MemberView) => teamPermissionsOn(actor(), member.id);
  const hasActions = createMemo(() =>
    Object.entries(permissions()).some(([a, ok]) => ok && a !== "view" && a !== "readAudit"),
  );
  const [members, { refetch }] = createResource(() =>
    permissions().view ? props.client.list() : Promise.resolve([]),
  );
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal("");
  const [confirmation, setConfirmation] = createSignal<Confirmation | null>(null);
  const [reason, setReason] = createSignal("");
  const askConfirmation = (pending: Confirmation) => {
    setReason("");
    setConfirmation(pending);
  };
  const [editingRoles, setEditingRoles] = createSignal<string | null>(null);
  // Step-up: a sensitive action refused with STEP_UP_REQUIRED waits in its member's row for a code.
  const [stepUp, setStepUp] = createSignal<{
    memberId: string;
    action: string;
    retry: () => Promise<void>;
  } | null>(null);
  const [twoFactorFilter, setTwoFactorFilter] = createSignal<TwoFactorFilter>("all");
  const shownMembers = () =>
    members()?.filter((member) => matchesTwoFactorFilter(toComplianceMember(member), twoFactorFilter()));

  /**
   * `on`: the member row (or the invitation) and the action's name, where a step-up prompt appears if
   * the API asks for one.
   */
  const act = async (run: () => Promise<void>, done: string, on?: { memberId: string; action: string }) => {
    setError(null);
    setNotice("");
    try {
      await run();
      // The notice comes with the list already reloaded, in the same turn as what the caller does
      // next (the invite form's reset): nothing typed in between is wiped after it shows.
      await refetch();
      setNotice(done);
    } catch (failure) {
      if (on && isStepUpRequired(failure)) {
        setStepUp({ ...on, retry: () => act(run, done, on) });
      } else {
        setError(failure);
      }
    }
  };

  /** The code prompt of the refused action waiting at `key` (a member's id, or the invitation). */
  const stepUpPromptFor = (key: string) => (
    <Show when={stepUp()?.memberId === key ? stepUp() : null}>
      {(pending) => (
        // §7.3: an SSO member confirms at its identity provider instead of with a code.
        <Show
          when={!props.actor.sso || props.actor.kind !== "member"}
          fallback={
            <SsoStepUpPrompt
              accountId={props.actor.accountId}
              action={pending().action}
              onCancel={() => setStepUp(null)}
            />
          }
        >
          <StepUpPrompt
            id={`step-up-${key}`}
            method={props.actor.twoFactor.method}
            action={pending().action}
            client={props.client.stepUp}
            onConfirmed={() => {
              const { retry } = pending();
              setStepUp(null);
              return retry();
            }}
            onCancel={() => setStepUp(null)}
          />
        </Show>
      )}
    </Show>
  );

  return (
    <Show when={permissions().view} fallback={<p class="card">{describeError("FORBIDDEN")}</p>}>
      <section class="card">
        <h1>Team</h1>
        <Show when={!hasActions()}>
          <p class="notice">Read only: your role can view the team but not change it.</p>
        </Show>
        <Show when={permissions().invite}>
          <InviteForm
            onInvite={(input) =>
              act(() => props.client.invite(input), `Invitation sent to ${input.email}.`, {
                memberId: INVITATION,
                action: `Invite ${input.email}`,
              })
            }
          />
          {stepUpPromptFor(INVITATION)}
        </Show>
        <Show when={confirmation()}>
          {(pending) => (
            <div class="confirm" role="alertdialog" aria-labelledby="confirm-text">
              <p id="confirm-text">{pending().text}</p>
              <Show when={pending().asksReason}>
                <div class="field">
                  <label for="confirm-reason">Reason (optional, mailed to the member)</label>
                  <input
                    id="confirm-reason"
                    type="text"
                    maxLength={MAX_REMOVAL_REASON_LENGTH}
                    value={reason()}
                    onInput={(event) => setReason(event.currentTarget.value)}
                  />
                </div>
              </Show>
              <div class="actions">
                <button
                  type="button"
                  class="danger"
                  onClick={() => {
                    const { run } = pending();
                    setConfirmation(null);
                    void run(reason().trim());
                  }}
                >
                  {pending().action}
                </button>
                <button type="button" class="secondary" onClick={() => setConfirmation(null)}>
                  Cancel
                </button>
              </div>
            </div>
          )}
        </Show>
        <ErrorMessage error={error() ?? members.error} />
        <Show when={notice()}>
          <p role="status" class="notice">
            {notice()}
          </p>
        </Show>
        <TeamComplianceBar
          members={members() ?? []}
          filter={twoFactorFilter()}
          onFilter={setTwoFactorFilter}
        />
        <table class="cards-on-phone team-table">
          <caption class="visually-hidden">Team members, with their roles, status and 2FA</caption>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">SSO</th>
              <th scope="col">2FA</th>
              <Show when={hasActions()}>
                <th scope="col">Actions</th>
              </Show>
            </tr>
          </thead>
          <tbody>
            <For
              each={shownMembers()}
              fallback={
                <tr>
                  <td colSpan={6}>{members.loading ? "Loading…" : "No members yet."}</td>
                </tr>
              }
            >
              {(member) => (
                <tr data-member={member.email}>
                  <td data-label="Email" class="member-email">
                    {member.email}
                    <Show when={member.remark}>
                      <small class="remark">{member.remark}</small>
                    </Show>
                  </td>
                  <td data-label="Roles">
                    <Show
                      when={editingRoles() === member.id}
                      fallback={member.roles.map((role) => roleNames[role]).join(", ")}
                    >
                      <RolesEditor
                        roles={member.roles}
                        onSave={(roles) => {
                          setEditingRoles(null);
                          void act(
                            () => props.client.update(member.id, { roles }),
                            `Roles of ${member.email} changed.`,
                            { memberId: member.id, action: `Change the roles of ${member.email}` },
                          );
                        }}
                        onCancel={() => setEditingRoles(null)}
                      />
                    </Show>
                  </td>
                  <td data-label="Status">
                    <span class={`badge ${member.status}`}>{member.status}</span>
                  </td>
                  <td data-label="SSO">{member.sso ? "SSO" : "—"}</td>
                  <td data-label="2FA">
                    {member.twoFactor.locked ? (
                      <>
                        <span class="badge disabled">Locked</span>
                        <small class="locked-hint">
                          {" "}
                          After 100 wrong codes in a row. Remove 2FA (root user) unlocks it.
                        </small>
                      </>
                    ) : member.twoFactor.enabled ? (
                      <span class="badge on">Enabled</span>
                    ) : (
                      <span class="badge off">Off</span>
                    )}
                  </td>
                  <Show when={hasActions()}>
                    <td data-label="Actions">
                      <div class="row-actions">
                        <Show when={permissionsOn(member).changeStatus && canChangeMemberStatus(member).ok}>
                          <button
                            type="button"
                            class="secondary"
                            onClick={() => {
                              const status = member.status === "active" ? "disabled" : "active";
                              void act(
                                () => props.client.update(member.id, { status }),
                                `${member.email} is now ${status}.`,
                                { memberId: member.id, action: `Make ${member.email} ${status}` },
                              );
                            }}
                          >
                            {member.status === "active" ? "Disable" : "Enable"}
                          </button>
                        </Show>
                        <Show when={permissionsOn(member).changeRoles}>
                          <button type="button" class="secondary" onClick={() => setEditingRoles(member.id)}>
                            Roles
                          </button>
                        </Show>
                        <Show when={permissionsOn(member).changeSso}>
                          {(() => {
                            const decision = canChangeSso(toTwoFactorState(member.twoFactor), !member.sso);
                            const reasonId = `sso-${member.id}`;
                            const button = (
                              <button
                                type="button"
                                class="secondary"
                                disabled={!decision.ok}
                                aria-describedby={decision.ok ? undefined : reasonId}
                                onClick={() =>
                                  act(
                                    () => props.client.update(member.id, { sso: !member.sso }),
                                    `SSO flag of ${member.email} changed.`,
                                    { memberId: member.id, action: `Change the SSO flag of ${member.email}` },
                                  )
                                }
                              >
                                {member.sso ? "Unset SSO" : "Set SSO"}
                              </button>
                            );
                            return decision.ok ? (
                              button
                            ) : (
                              <span class="unavailable">
                                {button}
                                <small id={reasonId} data-testid="unavailable-reason">
                                  {ssoUnavailableReason(decision.reason)}
                                </small>
                              </span>
                            );
                          })()}
                        </Show>
                        <Show when={member.twoFactor.enabled}>
                          <Show
                            when={permissions().removeTwoFactor}
                            fallback={
                              <span class="unavailable">
                                <button
                                  type="button"
                                  class="danger"
                                  disabled
                                  aria-describedby={`r5-${member.id}`}
                                >
                                  Remove 2FA
                                </button>
                                <small id={`r5-${member.id}`} data-testid="unavailable-reason">
                                  {describeError("ONLY_ROOT_CAN_REMOVE_TWO_FACTOR")}
                                </small>
                              </span>
                            }
                          >
                            <button
                              type="button"
                              class="danger"
                              onClick={() =>
                                askConfirmation({
                                  text: `Remove two-factor authentication of ${member.email}? They will sign in with their password only until they set it up again.`,
                                  action: `Remove 2FA of ${member.email}`,
                                  asksReason: true,
                                  run: (reason) =>
                                    act(
                                      () => props.client.removeTwoFactor(member.id, reason),
                                      `Two-factor authentication of ${member.email} removed.`,
                                      { memberId: member.id, action: `Remove 2FA of ${member.email}` },
                                    ),
                                })
                              }
                            >
                              Remove 2FA
                            </button>
                          </Show>
                        </Show>
                        <Show when={permissionsOn(member).signOutMember && member.status === "active"}>
                          <button
                            type="button"
                            class="secondary"
                            onClick={() =>
                              askConfirmation({
                                text: `Sign ${member.email} out everywhere? Every browser where they are signed in is signed out, and they are told by email. Their password and 2FA stay as they are.`,
                                action: `Sign out ${member.email} everywhere`,
                                run: () =>
                                  act(
                                    () => props.client.signOutEverywhere(member.id),
                                    `${member.email} is signed out everywhere.`,
                                    { memberId: member.id, action: `Sign out ${member.email} everywhere` },
                                  ),
                              })
                            }
                          >
                            Sign out everywhere
                          </button>
                        </Show>
                        <Show when={permissionsOn(member).delete}>
                          <button
                            type="button"
                            class="danger"
                            onClick={() =>
                              askConfirmation({
                                text: `Delete ${member.email}? This is final.`,
                                action: `Delete ${member.email}`,
                                run: () =>
                                  act(() => props.client.remove(member.id), `${member.email} deleted.`, {
                                    memberId: member.id,
                                    action: `Delete ${member.email}`,
                                  }),
                              })
                            }
                          >
                            Delete
                          </button>
                        </Show>
                        <Show when={permissions().delete && !permissionsOn(member).delete}>
                          <small class="own-membership" data-testid="own-membership">
                            This is you: the root user or another administrator changes your membership.
                          </small>
                        </Show>
                        {stepUpPromptFor(member.id)}
                      </div>
                    </td>
                  </Show>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </section>
    </Show>
  );
}

/** Why "Set SSO" is unavailable, in visible words beside the button. */
function ssoUnavailableReason(reason: ErrorCode): string {
  return reason === "TWO_FACTOR_ALREADY_CONFIGURED"
    ? "Set SSO after this member's 2FA is removed: SSO accounts cannot use 2FA."
    : describeError(reason);
}

function RolesEditor(props: {
  roles: MemberRole[];
  onSave: (roles: MemberRole[]) => void;
  onCancel: () => void;
}) {
  const [roles, setRoles] = createSignal<MemberRole[]>([...props.roles]);
  return (
    <fieldset class="roles-editor">
      <legend>Roles</legend>
      <RoleChoices roles={roles()} onChange={setRoles} />
      <button type="button" disabled={roles().length === 0} onClick={() => props.onSave(roles())}>
        Save
      </button>
      <button type="button" class="secondary" onClick={props.onCancel}>
        Cancel
      </button>
    </fieldset>
  );
}
