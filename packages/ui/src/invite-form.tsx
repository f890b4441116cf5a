import { type MemberRole, MIN_PASSWORD_LENGTH } from "@cloud2fa/domain";
import { createSignal } from "solid-js";
import { RoleChoices } from "./role-choices.js";

export interface InviteInput {
  email: string;
  password: string;
  roles: MemberRole[];
  remark?: string;
}

export function InviteForm(props: { onInvite: (input: InviteInput) => Promise<void> }) {
  const [roles, setRoles] = createSignal<MemberRole[]>(["project_user"]);
  const [isBusy, setBusy] = createSignal(false);
  return (
    <details class="invite">
      <summary>Invite a member</summary>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const data = new FormData(form);
          setBusy(true);
          await props.onInvite({
            email: String(data.get("email")),
            password: String(data.get("password")),
            roles: roles(),
            remark: String(data.get("remark") ?? "") || undefined,
          });
          setBusy(false);
          form.reset();
        }}
      >
        <div class="field">
          <label for="invite-email">Email</label>
          <input id="invite-email" name="email" type="email" required autocomplete="off" />
        </div>
        <div class="field">
          <label for="invite-password">Initial password</label>
          <input
            id="invite-password"
            name="password"
            type="password"
            required
            minLength={MIN_PASSWORD_LENGTH}
            autocomplete="new-password"
          />
          <small>At least {MIN_PASSWORD_LENGTH} characters; share it with the member separately.</small>
        </div>
        <fieldset>
          <legend>Roles</legend>
          <RoleChoices roles={roles()} onChange={setRoles} />
        </fieldset>
        <div class="field">
          <label for="invite-remark">Remark (optional)</label>
          <input id="invite-remark" name="remark" type="text" maxLength={500} />
        </div>
        <button type="submit" disabled={isBusy() || roles().length === 0}>
          Send invitation
        </button>
      </form>
    </details>
  );
}
