import { TeamPage } from "@cloud2fa/ui";
import { Show } from "solid-js";
import { teamClient } from "../api.js";
import { me } from "../session.js";

export function TeamRoute() {
  return <Show when={me()}>{(user) => <TeamPage actor={user()} client={teamClient} />}</Show>;
}
