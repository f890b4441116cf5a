import { type MemberRole, memberRoles } from "@cloud2fa/domain";
import { For } from "solid-js";
import { roleNames } from "./user.js";

/** One checkbox per member role (the invitation and the Team page's roles editor). */
export function RoleChoices(props: { roles: MemberRole[]; onChange: (roles: MemberRole[]) => void }) {
  return (
    <For each={memberRoles}>
      {(role) => (
        <label class="choice">
          <input
            type="checkbox"
            name="roles"
            value={role}
            checked={props.roles.includes(role)}
            onChange={(event) =>
              props.onChange(
                event.currentTarget.checked
                  ? [...props.roles, role]
                  : props.roles.filter((other) => other !== role),
              )
            }
          />{" "}
          {roleNames[role]}
        </label>
      )}
    </For>
  );
}
