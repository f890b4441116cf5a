import { createResource, createSignal, For, Show } from "solid-js";
import { ErrorMessage } from "./error-message.js";
import { formatDate } from "./user.js";

/** §6.5: one live session as GET /api/me/sessions gives it (never its token). */
export interface SessionView {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  clientAddress: string | null;
  browser: string | null;
  os: string | null;
}

export interface SessionsClient {
  list: () => Promise<SessionView[]>;
  /** Ends one session of the signed-in user. */
  end: (id: string) => Promise<void>;
  /** Ends every session but this one. */
  endOthers: () => Promise<void>;
}

/** "Chrome on Linux", "Firefox", "Unknown device": how people name a browser. */
export function deviceName(session: Pick<SessionView, "browser" | "os">): string {
  if (session.browser && session.os) return `${session.browser} on ${session.os}`;
  return session.browser ?? session.os ?? "Unknown device";
}

/** "Where you're signed in": each live session, this one marked; end one or all others. */
export function SessionsCard(props: { client: SessionsClient }) {
  const [sessions, { refetch }] = createResource(() => props.client.list());
  const [error, setError] = createSignal<unknown>(null);
  const [notice, setNotice] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const others = () => (sessions() ?? []).filter((session) => !session.current);

  const act = async (run: () => Promise<void>, done: string) => {
    setError(null);
    setNotice("");
    setBusy(true);
    try {
      await run();
      setNotice(done);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
      await refetch();
    }
  };

  return (
    <section class="card sessions-card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you're signed in</h2>
      <p class="hint">
        Each browser signed in to your account. Sign out of any you do not recognise, then change your
        password.
      </p>
      <ErrorMessage error={error() ?? sessions.error} />
      <Show when={notice()}>
        <p role="status" class="notice">
          {notice()}
        </p>
      </Show>
      <ul class="sessions">
        <For each={sessions()} fallback={<li>{sessions.loading ? "Loading…" : "No sessions."}</li>}>
          {(session) => (
            <li data-session={session.id} classList={{ current: session.current }}>
              <div class="session-device">
                <strong>{deviceName(session)}</strong>
                <Show when={session.current}>
                  {" "}
                  <span class="badge on">This device</span>
                </Show>
              </div>
              <dl class="session-facts">
                <div>
                  <dt>Address</dt>
                  <dd>{session.clientAddress ?? "Unknown"}</dd>
                </div>
                <div>
                  <dt>Signed in</dt>
                  <dd>{formatDate(session.createdAt)}</dd>
                </div>
                <div>
                  <dt>Last active</dt>
                  <dd>{formatDate(session.lastSeenAt)}</dd>
                </div>
              </dl>
              <Show when={!session.current}>
                <button
                  type="button"
                  class="secondary"
                  disabled={busy()}
                  aria-label={`Sign out ${deviceName(session)}, signed in ${formatDate(session.createdAt)}`}
                  onClick={() =>
                    void act(() => props.client.end(session.id), `Signed out of ${deviceName(session)}.`)
                  }
                >
                  Sign out
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={others().length > 0}>
        <div class="actions">
          <button
            type="button"
            class="danger"
            disabled={busy()}
            onClick={() => void act(() => props.client.endOthers(), "Signed out of every other session.")}
          >
            Sign out all other sessions
          </button>
        </div>
      </Show>
    </section>
  );
}
