import { createSignal, For, onMount, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { formatDate } from "./user.js";

export interface AuditEventView {
  id: string;
  type: string;
  actor: { email: string } | null;
  subject: { email: string } | null;
  at: string;
  clientAddress: string | null;
}

export interface AuditClient {
  list: (cursor: string | undefined) => Promise<{ events: AuditEventView[]; nextCursor: string | null }>;
}

/** S8: 2FA events with actor, subject, time and client address, newest first. */
export function AuditPage(props: { client: AuditClient }) {
  const [events, setEvents] = createSignal<AuditEventView[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const [isTwoFactorOnly, setTwoFactorOnly] = createSignal(true);
  const load = async (from: string | undefined) => {
    try {
      const page = await props.client.list(from);
      setEvents((current) => (from ? [...current, ...page.events] : page.events));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    }
  };
  onMount(() => void load(undefined));
  const shown = () => events().filter((event) => !isTwoFactorOnly() || event.type.startsWith("two_factor."));
  return (
    <section class="card">
      <h1>Audit events</h1>
      <label class="choice">
        <input
          type="checkbox"
          checked={isTwoFactorOnly()}
          onChange={(e) => setTwoFactorOnly(e.currentTarget.checked)}
        />{" "}
        Two-factor events only
      </label>
      <ErrorMessage error={error()} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">Actor</th>
              <th scope="col">Subject</th>
              <th scope="col">Client address</th>
            </tr>
          </thead>
          <tbody>
            <For
              each={shown()}
              fallback={
                <tr>
                  <td colSpan={5}>No events.</td>
                </tr>
              }
            >
              {(event) => (
                <tr>
                  <td>{formatDate(event.at)}</td>
                  <td>
                    <code>{event.type}</code>
                  </td>
                  <td>{event.actor?.email ?? "—"}</td>
                  <td>{event.subject?.email ?? "—"}</td>
                  <td>{event.clientAddress ?? "—"}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <Show when={cursor()}>
        {(next) => (
          <button type="button" class="secondary" onClick={() => load(next())}>
            Load more
          </button>
        )}
      </Show>
    </section>
  );
}
