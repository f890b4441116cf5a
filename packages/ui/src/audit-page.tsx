import { type AuditEventType, auditEventTypes } from "@cloud2fa/domain";
import { createSignal, For, onMount, Show } from "solid-js";
import { type AuditEventView, auditEventNames, describeAuditEvent, deviceOf } from "./audit-words.js";
import { ErrorMessage } from "./error-message.js";
import { formatDate } from "./user.js";

/** The API's filters: a member (actor or subject), one or several types, a time range [from, to). */
export interface AuditQuery {
  member?: string;
  type?: AuditEventType[];
  from?: string;
  to?: string;
}

export interface AuditClient {
  list: (
    query: AuditQuery,
    cursor: string | undefined,
  ) => Promise<{ events: AuditEventView[]; nextCursor: string | null }>;
  /** The address of the CSV export of the same filters. */
  exportUrl: (query: AuditQuery) => string;
  members: () => Promise<{ id: string; email: string }[]>;
}

const TWO_FACTOR = "two_factor";
const twoFactorTypes = auditEventTypes.filter((type) => type.startsWith("two_factor."));

interface FilterForm {
  member: string;
  action: string;
  fromDate: string;
  toDate: string;
}

const noFilter: FilterForm = { member: "", action: "", fromDate: "", toDate: "" };

/** Dates are the user's local days: from the start of `fromDate` to the end of `toDate`. */
export function auditQueryOf(form: FilterForm): AuditQuery {
  const query: AuditQuery = {};
  if (form.member) query.member = form.member;
  if (form.action === TWO_FACTOR) query.type = [...twoFactorTypes];
  else if (form.action) query.type = [form.action as AuditEventType];
  if (form.fromDate) query.from = new Date(`${form.fromDate}T00:00:00`).toISOString();
  if (form.toDate) {
    const end = new Date(`${form.toDate}T00:00:00`);
    end.setDate(end.getDate() + 1);
    query.to = end.toISOString();
  }
  return query;
}

/** S8: the audit trail, newest first, filtered by member, action and day, and downloadable as CSV. */
export function AuditPage(props: { client: AuditClient }) {
  const [events, setEvents] = createSignal<AuditEventView[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [error, setError] = createSignal<unknown>(null);
  const [members, setMembers] = createSignal<{ id: string; email: string }[]>([]);
  const [form, setForm] = createSignal<FilterForm>(noFilter);
  const [applied, setApplied] = createSignal<AuditQuery>({});
  const load = async (from: string | undefined) => {
    try {
      setError(null);
      const page = await props.client.list(applied(), from);
      setEvents((current) => (from ? [...current, ...page.events] : page.events));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    }
  };
  const apply = (next: FilterForm) => {
    setForm(next);
    setApplied(auditQueryOf(next));
    void load(undefined);
  };
  const edit = (field: keyof FilterForm) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form(), [field]: e.currentTarget.value });
  onMount(() => {
    void load(undefined);
    props.client.members().then(setMembers, () => setMembers([]));
  });
  return (
    <section class="card">
      <h1>Audit events</h1>
      <form
        class="filters"
        aria-label="Filter the audit events"
        onSubmit={(e) => {
          e.preventDefault();
          apply(form());
        }}
      >
        <label class="field">
          Member
          <select value={form().member} onChange={edit("member")}>
            <option value="">All members</option>
            <For each={members()}>{(member) => <option value={member.id}>{member.email}</option>}</For>
          </select>
        </label>
        <label class="field">
          Action
          <select value={form().action} onChange={edit("action")}>
            <option value="">All actions</option>
            <option value={TWO_FACTOR}>All two-factor events</option>
            <For each={auditEventTypes}>
              {(type) => <option value={type}>{auditEventNames[type]}</option>}
            </For>
          </select>
        </label>
        <label class="field">
          From
          <input type="date" value={form().fromDate} onChange={edit("fromDate")} />
        </label>
        <label class="field">
          To
          <input type="date" value={form().toDate} min={form().fromDate} onChange={edit("toDate")} />
        </label>
        <div class="actions">
          <button type="submit">Apply filters</button>
          <button type="button" class="secondary" onClick={() => apply(noFilter)}>
            Clear
          </button>
          <a class="button secondary" href={props.client.exportUrl(applied())} download="audit-events.csv">
            Download CSV
          </a>
        </div>
      </form>
      <p class="hint">The CSV holds the filtered events shown here, newest first (at most 10,000).</p>
      <ErrorMessage error={error()} />
      <table class="cards-on-phone">
        <caption class="visually-hidden">Audit events, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Actor</th>
            <th scope="col">Subject</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          <For
            each={events()}
            fallback={
              <tr>
                <td colSpan={5}>No events.</td>
              </tr>
            }
          >
            {(event) => <AuditEventRow event={event} />}
          </For>
        </tbody>
      </table>
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

/** One event in words; its raw record (type, user agent, detail) one click away. */
function AuditEventRow(props: { event: AuditEventView }) {
  const detailEntries = () => Object.entries(props.event.detail ?? {});
  return (
    <tr data-event={props.event.type}>
      <td data-label="Time">{formatDate(props.event.at)}</td>
      <td data-label="Event">
        <span class="event-words">{describeAuditEvent(props.event)}</span>
        <details class="event-detail">
          <summary>Details</summary>
          <dl>
            <dt>Type</dt>
            <dd>
              <code>{props.event.type}</code>
            </dd>
            <dt>Time</dt>
            <dd>{props.event.at}</dd>
            <dt>User agent</dt>
            <dd>{props.event.userAgent ?? "—"}</dd>
            <For each={detailEntries()}>
              {([key, value]) => (
                <>
                  <dt>{key}</dt>
                  <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
                </>
              )}
            </For>
          </dl>
        </details>
      </td>
      <td data-label="Actor">{props.event.actor?.email ?? "—"}</td>
      <td data-label="Subject">{props.event.subject?.email ?? "—"}</td>
      <td data-label="Client">
        {props.event.clientAddress ?? "—"}
        <Show when={deviceOf(props.event)}>{(device) => <small class="device">{device()}</small>}</Show>
      </td>
    </tr>
  );
}
