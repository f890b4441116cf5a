import { type MemberRole, memberRoles } from "@cloud2fa/domain";
import { For } from "solid-js";
import { roleNames } from "./user.js";

/**
 * One checkbox per member role (the invitation and the Team page's roles editor). `defaultRoles`
 * are ticked again when their form is reset.
 */
export function RoleChoices(props: {
  roles: MemberRole[];
  onChange: (roles: MemberRole[]) => void;
  defaultRoles?: readonly MemberRole[];
}) {
  return (
    <For each={memberRoles}>
      {(role) => (
        <label class="choice">
          <input
            type="checkbox"
            name="roles"
            value={role}
            ref={(box) => {
              box.defaultChecked = props.defaultRoles?.includes(role) ?? false;
            }}
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
