import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { AuditEvent, Credential, UnlockOutcome } from "../bindings";
import { Notice } from "../components/notice";
import { PageTitle, type PageId } from "../components/layout";
import { count, daysUntil, formatTime, providerName } from "../format";
import { describeAction } from "./audit-actions";

/** Credentials that need the user: expired, expiring within 30 days, or rejected by their provider. */
export function credentialsNeedingAttention(credentials: Credential[], now: Date) {
  return credentials.flatMap((c) => {
    const days = daysUntil(c.expiresAt, now);
    if (c.invalidReason) return [{ credential: c, reason: `rejected by the provider: ${c.invalidReason}` }];
    if (days !== null && days < 0) return [{ credential: c, reason: `expired ${formatTime(c.expiresAt)}` }];
    if (days !== null && days <= 30) return [{ credential: c, reason: `expires in ${count(days, "day")}` }];
    return [];
  });
}

export function countByProvider(credentials: Credential[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const c of credentials) counts.set(c.provider, (counts.get(c.provider) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

const RECENT_EVENTS = 5;

/** What the vault holds today and what happened lately. */
export function DashboardPage(props: {
  unlockOutcome: UnlockOutcome | null;
  onDismissUnlockOutcome: () => void;
  onNavigate: (page: PageId) => void;
}) {
  const [credentials, setCredentials] = useState<Credential[] | null>(null);
  const [recent, setRecent] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([api.listCredentials(), api.auditEvents({ limit: RECENT_EVENTS })])
      .then(([list, page]) => {
        setCredentials(list);
        setRecent(page.events);
      })
      .catch((e) => setError(asCommandError(e).message));
  }, []);

  const outcome = props.unlockOutcome;
  const attention = credentials ? credentialsNeedingAttention(credentials, new Date()) : [];
  return (
    <section>
      <PageTitle title="Dashboard" />
      {outcome && outcome.failedAttempts.length > 0 && (
        <Notice kind="warning" onDismiss={props.onDismissUnlockOutcome}>
          {count(outcome.failedAttempts.length, "failed unlock attempt")} since the last unlock:{" "}
          {outcome.failedAttempts.map(formatTime).join(", ")}.
        </Notice>
      )}
      {outcome?.integrityWarning && (
        <Notice kind="warning">
          Integrity warning: {outcome.integrityWarning}. Open the{" "}
          <button type="button" class="link" onClick={() => props.onNavigate("audit")}>
            audit log
          </button>{" "}
          and verify it.
        </Notice>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      <div class="cards">
        <article class="card" aria-labelledby="vault-card">
          <h2 id="vault-card">Vault</h2>
          {credentials === null ? (
            <p>Loading…</p>
          ) : (
            <>
              <p class="figure">{count(credentials.length, "credential")}</p>
              <ul class="plain">
                {countByProvider(credentials).map(([provider, n]) => (
                  <li>
                    {providerName(provider)}: {n}
                  </li>
                ))}
              </ul>
              <button type="button" onClick={() => props.onNavigate("credentials")}>
                {credentials.length === 0 ? "Add your first key" : "Manage credentials"}
              </button>
            </>
          )}
        </article>
        <article class="card" aria-labelledby="attention-card">
          <h2 id="attention-card">Needs attention</h2>
          {credentials === null ? (
            <p>Loading…</p>
          ) : attention.length === 0 ? (
            <p>No credential is expired, expiring within 30 days, or rejected.</p>
          ) : (
            <ul class="plain">
              {attention.map(({ credential, reason }) => (
                <li>
                  <strong>{credential.label}</strong>: {reason}
                </li>
              ))}
            </ul>
          )}
        </article>
        <article class="card wide" aria-labelledby="recent-card">
          <h2 id="recent-card">Recent activity</h2>
          {recent === null ? (
            <p>Loading…</p>
          ) : (
            <ul class="plain">
              {recent.map((event) => (
                <li>
                  <time dateTime={event.at}>{formatTime(event.at)}</time> — {describeAction(event.action)}
                  {typeof event.details.label === "string" && <> ({event.details.label})</>}
                </li>
              ))}
            </ul>
          )}
          <button type="button" onClick={() => props.onNavigate("audit")}>
            Open the audit log
          </button>
        </article>
      </div>
    </section>
  );
}
