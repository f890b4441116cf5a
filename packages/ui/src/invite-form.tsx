import { type MemberRole, MIN_PASSWORD_LENGTH, memberRoles } from "@cloud2fa/domain";
import { createSignal } from "solid-js";
import { RoleChoices } from "./role-choices.js";

export interface InviteInput {
  email: string;
  password: string;
  roles: MemberRole[];
  remark?: string;
}

/** What a new invitation's boxes start with, and come back to after each invitation. */
const defaultRoles: readonly MemberRole[] = ["project_user"];

/** The roles whose boxes are ticked in `form`: the invitation sends what the person sees. */
function tickedRoles(form: HTMLFormElement): MemberRole[] {
  const ticked = new FormData(form).getAll("roles");
  return memberRoles.filter((role) => ticked.includes(role));
}

/**
 * The roles come from the ticked boxes, read when sent; the signal only mirrors them for the button.
 * (It once kept its own list, which the form's reset did not clear: the next invitation re-sent the
 * previous one's roles, an Administrator among them.)
 */
export function InviteForm(props: { onInvite: (input: InviteInput) => Promise<void> }) {
  let form: HTMLFormElement | undefined;
  const [roles, setRoles] = createSignal<MemberRole[]>([...defaultRoles]);
  const [isBusy, setBusy] = createSignal(false);
  const readRoles = () => (form ? tickedRoles(form) : []);
  return (
    <details class="invite">
      <summary>Invite a member</summary>
      <form
        ref={form}
        onSubmit={async (event) => {
          event.preventDefault();
          const sent = event.currentTarget;
          const data = new FormData(sent);
          const ticked = tickedRoles(sent);
          if (ticked.length === 0) return;
          setBusy(true);
          await props.onInvite({
            email: String(data.get("email")),
            password: String(data.get("password")),
            roles: ticked,
            remark: String(data.get("remark") ?? "") || undefined,
          });
          setBusy(false);
          sent.reset();
          setRoles(tickedRoles(sent));
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
          <small>
            At least {MIN_PASSWORD_LENGTH} characters; share it with the member separately. The member enters
            it once, to activate the account, and then chooses a password of their own.
          </small>
        </div>
        <fieldset>
          <legend>Roles</legend>
          <RoleChoices roles={roles()} defaultRoles={defaultRoles} onChange={() => setRoles(readRoles())} />
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
