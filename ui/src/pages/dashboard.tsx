import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { AuditEvent, Credential, Dashboard, UnlockOutcome } from "../bindings";
import { Notice } from "../components/notice";
import { PageTitle, type PageId } from "../components/layout";
import { count, daysUntil, formatTime, providerName } from "../format";
import { effectiveTheme } from "../theme";
import { describeAction } from "./audit-actions";
import { AlertList } from "./alerts";
import { BudgetBars } from "./budget-bars";
import { SpendChart } from "./spend-chart";
import { useUsageChanged, type Breakdown } from "../spend";
import { SpendCards } from "./spend-cards";

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
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const RECENT_EVENTS = 5;

/** Spend, forecast, budgets and alerts first; then what the vault holds and what happened lately. */
export function DashboardPage(props: {
  unlockOutcome: UnlockOutcome | null;
  onDismissUnlockOutcome: () => void;
  onNavigate: (page: PageId) => void;
}) {
  const [credentials, setCredentials] = useState<Credential[] | null>(null);
  const [recent, setRecent] = useState<AuditEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [spend, setSpend] = useState<Dashboard | null>(null);
  const [spendError, setSpendError] = useState<string | null>(null);
  const [days, setDays] = useState(30);
  const [breakdown, setBreakdown] = useState<Breakdown>("provider");
  const [scanning, setScanning] = useState(false);
  const [scanMessage, setScanMessage] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    Promise.all([api.listCredentials(), api.auditEvents({ limit: RECENT_EVENTS })])
      .then(([list, page]) => {
        setCredentials(list);
        setRecent(page.events);
      })
      .catch((e) => setError(asCommandError(e).message));
  }, []);

  useEffect(() => {
    api
      .dashboard({ chartDays: days, breakdown, theme: effectiveTheme() })
      .then((d) => {
        setSpend(d);
        setSpendError(null);
      })
      .catch((e) => setSpendError(asCommandError(e).message));
  }, [days, breakdown, generation]);

  useUsageChanged(() => setGeneration((g) => g + 1));

  async function scan() {
    setScanning(true);
    setScanMessage(null);
    try {
      const result = await api.scanNow();
      setScanMessage(
        `Scanned ${count(result.files, "file")}: ${count(result.recordsWritten, "new record")}` +
          (result.newAlerts.length ? `, ${count(result.newAlerts.length, "new alert")}.` : "."),
      );
      setGeneration((g) => g + 1);
    } catch (e) {
      setScanMessage(`Scan failed: ${asCommandError(e).message}`);
    } finally {
      setScanning(false);
    }
  }

  const outcome = props.unlockOutcome;
  const attention = credentials ? credentialsNeedingAttention(credentials, new Date()) : [];
  return (
    <section>
      <PageTitle title="Dashboard">
        <button type="button" class="primary" onClick={scan} disabled={scanning}>
          {scanning ? "Scanning…" : "Scan now"}
        </button>
      </PageTitle>
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
      {scanMessage && <Notice kind={scanMessage.startsWith("Scan failed") ? "error" : "info"}>{scanMessage}</Notice>}
      {spendError && <Notice kind="error">{spendError}</Notice>}
      {error && <Notice kind="error">{error}</Notice>}
      {spend === null ? (
        !spendError && <p>Loading spend…</p>
      ) : (
        <>
          <SpendCards dashboard={spend} />
          <SpendChart
            chart={spend.chart}
            days={days}
            breakdown={breakdown}
            onDays={setDays}
            onBreakdown={setBreakdown}
          />
          <div class="cards">
            <article class="card" aria-labelledby="budgets-card">
              <h2 id="budgets-card">Budgets</h2>
              {spend.budgets.length === 0 ? (
                <p>No budgets yet.</p>
              ) : (
                <BudgetBars budgets={spend.budgets} />
              )}
              <button type="button" onClick={() => props.onNavigate("budgets")}>
                {spend.budgets.length === 0 ? "Set a budget" : "Manage budgets"}
              </button>
            </article>
            <article class="card" aria-labelledby="alerts-card">
              <h2 id="alerts-card">Open alerts</h2>
              <AlertList alerts={spend.alerts} onChanged={() => setGeneration((g) => g + 1)} />
            </article>
          </div>
        </>
      )}
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
