import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { ProviderAccount, SourcesOverview } from "../bindings";
import { PageTitle } from "../components/layout";
import { Notice } from "../components/notice";
import { count, formatTime, providerName } from "../format";
import { integer, useUsageChanged } from "../spend";

/** "closed", or "open until 10:32" */
export function circuitText(a: ProviderAccount): string {
  if (a.circuitState === "closed") return "closed";
  return a.circuitOpenUntil ? `${a.circuitState} until ${formatTime(a.circuitOpenUntil)}` : a.circuitState;
}

const SOURCE_NAMES: Record<string, string> = { "claude-code": "Claude Code", codex: "Codex CLI" };

/** The local agent logs and the provider accounts: what is read, when, and what went wrong. */
export function SourcesPage() {
  const [overview, setOverview] = useState<SourcesOverview | null>(null);
  const [busy, setBusy] = useState<"scan" | "poll" | null>(null);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    api
      .sourcesOverview()
      .then(setOverview)
      .catch((e) => setMessage({ ok: false, text: asCommandError(e).message }));
  }, [generation]);
  useUsageChanged(() => setGeneration((g) => g + 1));

  async function run(kind: "scan" | "poll") {
    setBusy(kind);
    try {
      if (kind === "scan") {
        const r = await api.scanNow();
        setMessage({ ok: true, text: `Scanned ${count(r.files, "file")}: ${count(r.recordsWritten, "new record")}.` });
      } else {
        const reports = await api.pollNow();
        const failed = reports.filter((r) => r.windowsFailed > 0 || r.stopped);
        setMessage({
          ok: failed.length === 0,
          text:
            `Polled ${count(reports.length, "account")}: ` +
            reports
              .map((r) => `${providerName(r.provider)} ${r.windowsOk} ok, ${r.windowsFailed} failed${r.stopped ? ` (${r.stopped})` : ""}`)
              .join("; "),
        });
      }
    } catch (e) {
      const error = asCommandError(e);
      setMessage({
        ok: false,
        text: error.code === "locked" ? "Unlock the vault to poll: polling reads the accounts' keys." : error.message,
      });
    } finally {
      setBusy(null);
      setGeneration((g) => g + 1);
    }
  }

  return (
    <section>
      <PageTitle title="Providers and sources">
        <div class="actions">
          <button type="button" class="primary" onClick={() => run("scan")} disabled={busy !== null}>
            {busy === "scan" ? "Scanning…" : "Scan now"}
          </button>
          <button type="button" onClick={() => run("poll")} disabled={busy !== null}>
            {busy === "poll" ? "Polling…" : "Poll now"}
          </button>
        </div>
      </PageTitle>
      {message && <Notice kind={message.ok ? "success" : "error"}>{message.text}</Notice>}
      {overview === null ? (
        <p>Loading…</p>
      ) : (
        <>
          <h2>Local agent logs</h2>
          <p class="hint">
            {overview.watching ? "Watching these folders: new lines are read as they appear." : "Not watching the folders; use Scan now."}
            {overview.lastScan && ` Last scan ${formatTime(overview.lastScan.at)}: ${count(overview.lastScan.recordsWritten, "new record")}.`}
          </p>
          {overview.lastScanError && <Notice kind="error">Last scan failed: {overview.lastScanError}</Notice>}
          <table class="data">
            <caption class="visually-hidden">Local sources</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Folders</th>
                <th scope="col">Files</th>
                <th scope="col">Lines (skipped)</th>
                <th scope="col">Last read</th>
              </tr>
            </thead>
            <tbody>
              {overview.sources.map((s) => (
                <tr>
                  <th scope="row">{SOURCE_NAMES[s.source] ?? s.source}</th>
                  <td>
                    {s.folders.map((f) => (
                      <div>
                        <code>{f}</code> {s.existing.includes(f) ? "" : <span class="hint">(not found)</span>}
                      </div>
                    ))}
                  </td>
                  <td>{integer(s.files)}</td>
                  <td>
                    {integer(s.lines)} ({integer(s.skippedLines)})
                  </td>
                  <td>{formatTime(s.lastScanAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2>Provider accounts</h2>
          {overview.lastPollAt && (
            <p class="hint">
              Last poll {formatTime(overview.lastPollAt)}
              {overview.lastPollError ? `: ${overview.lastPollError}` : "."}
            </p>
          )}
          {overview.accounts.length === 0 ? (
            <p>
              No provider account is polled. Add one from the command line:{" "}
              <code>tallyvault providers add openai --credential LABEL</code>.
            </p>
          ) : (
            <table class="data">
              <caption class="visually-hidden">Provider accounts</caption>
              <thead>
                <tr>
                  <th scope="col">Account</th>
                  <th scope="col">Last success</th>
                  <th scope="col">Last error</th>
                  <th scope="col">Circuit</th>
                  <th scope="col">Retry queue</th>
                </tr>
              </thead>
              <tbody>
                {overview.accounts.map((a) => (
                  <tr>
                    <th scope="row">
                      {providerName(a.provider)} #{a.id} ({a.credentialLabel})
                      {a.credentialInvalid && <div class="field-error">Key refused: {a.credentialInvalid}. Rotate it.</div>}
                    </th>
                    <td>{formatTime(a.lastSuccessAt)}</td>
                    <td>{a.lastError ? `${a.lastError} (${formatTime(a.lastErrorAt)})` : "none"}</td>
                    <td>{circuitText(a)}</td>
                    <td>{count(a.queuedWindows, "window")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {overview.queue.length > 0 && (
            <>
              <h3>Windows waiting to be fetched again</h3>
              <ul class="plain">
                {overview.queue.map((q) => (
                  <li>
                    Account {q.accountId} {q.endpoint}, {formatTime(q.windowStart)} to {formatTime(q.windowEnd)}:{" "}
                    {count(q.attempts, "attempt")}, next {formatTime(q.nextTry)} — {q.lastError}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}
