import { useEffect, useRef, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { AuditPage as AuditPageData, AuditVerification, Credential } from "../bindings";
import { PageTitle } from "../components/layout";
import { Notice } from "../components/notice";
import { count, formatTime } from "../format";
import { AUDIT_ACTIONS, describeAction } from "./audit-actions";
import { AuditCursor, auditQueryFor, NO_FILTERS, type AuditFilters } from "./audit-query";

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}

export function verificationMessage(result: AuditVerification): string {
  return result.ok
    ? `The audit log verifies: ${count(result.events, "event")} checked, chain and anchor intact.`
    : `The audit log does not verify: ${result.problem ?? "unknown problem"}.`;
}

/** The audit log: paged newest first, filtered, and verifiable. */
export function AuditPage() {
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [page, setPage] = useState<AuditPageData | null>(null);
  const [credentials, setCredentials] = useState<Credential[]>([]);
  const [verification, setVerification] = useState<AuditVerification | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cursor = useRef(new AuditCursor());

  const load = (f: AuditFilters) =>
    api
      .auditEvents(auditQueryFor(f, cursor.current.current))
      .then((p) => {
        setPage(p);
        setError(null);
      })
      .catch((e) => setError(asCommandError(e).message));

  useEffect(() => {
    api.listCredentials().then(setCredentials).catch(() => setCredentials([]));
  }, []);

  useEffect(() => {
    cursor.current.reset();
    load(filters);
  }, [filters]);

  async function verify() {
    setVerifying(true);
    try {
      setVerification(await api.verifyAudit());
    } catch (e) {
      setError(asCommandError(e).message);
    } finally {
      setVerifying(false);
    }
  }

  const set = (key: keyof AuditFilters) => (e: Event) =>
    setFilters({ ...filters, [key]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const labelOf = (id: number | null) =>
    id === null ? "" : (credentials.find((c) => c.id === id)?.label ?? `#${id} (deleted)`);

  return (
    <section>
      <PageTitle title="Audit log">
        <button type="button" class="primary" onClick={verify} disabled={verifying}>
          {verifying ? "Verifying…" : "Verify"}
        </button>
      </PageTitle>
      {verification && (
        <Notice kind={verification.ok ? "success" : "error"}>{verificationMessage(verification)}</Notice>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Action
          <select value={filters.action} onChange={set("action")}>
            <option value="">All</option>
            {Object.entries(AUDIT_ACTIONS).map(([action, text]) => (
              <option value={action}>{text}</option>
            ))}
          </select>
        </label>
        <label>
          Credential
          <select value={filters.credentialId} onChange={set("credentialId")}>
            <option value="">All</option>
            {credentials.map((c) => (
              <option value={String(c.id)}>{c.label}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={filters.since} onChange={set("since")} />
        </label>
        <label>
          To
          <input type="date" value={filters.until} onChange={set("until")} />
        </label>
        <button type="button" onClick={() => setFilters(NO_FILTERS)}>
          Clear filters
        </button>
      </form>
      {page === null ? (
        <p>Loading…</p>
      ) : page.events.length === 0 ? (
        <p>No events match these filters.</p>
      ) : (
        <table class="data">
          <caption class="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Action</th>
              <th scope="col">Credential</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {page.events.map((event) => (
              <tr key={event.seq}>
                <td>{event.seq}</td>
                <td>
                  <time dateTime={event.at}>{formatTime(event.at)}</time>
                </td>
                <td>{describeAction(event.action)}</td>
                <td>{labelOf(event.credentialId)}</td>
                <td class="details">{detailsText(event.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions pager">
        <button
          type="button"
          disabled={!cursor.current.hasNewer}
          onClick={() => {
            cursor.current.newer();
            load(filters);
          }}
        >
          Newer
        </button>
        <span>Page {cursor.current.pageNumber}</span>
        <button
          type="button"
          disabled={page?.nextBeforeSeq == null}
          onClick={() => {
            if (page?.nextBeforeSeq != null) cursor.current.older(page.nextBeforeSeq);
            load(filters);
          }}
        >
          Older
        </button>
      </div>
    </section>
  );
}
