import { useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { ImportOutcome } from "../bindings";
import { Notice } from "../components/notice";
import { count, providerName } from "../format";

/** Import provider keys from a `.env` file; the report names variables and reasons, never values. */
export function ImportEnvForm(props: { onImported: () => void; onClose: () => void }) {
  const [outcome, setOutcome] = useState<ImportOutcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function importFile(file: File | undefined) {
    if (!file) return;
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      const result = await api.importEnv(await file.text());
      setOutcome(result);
      if (result.imported.length > 0) props.onImported();
    } catch (e) {
      setError(asCommandError(e).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel stack" aria-labelledby="import-title">
      <h2 id="import-title">Import from a .env file</h2>
      <p class="hint">
        Recognised provider keys are added, labelled with their variable name. Other lines are skipped.
      </p>
      <label>
        .env file
        <input
          type="file"
          accept=".env,text/plain"
          disabled={busy}
          onChange={(e) => importFile(e.currentTarget.files?.[0])}
        />
      </label>
      {error && <Notice kind="error">{error}</Notice>}
      {outcome && (
        <Notice kind={outcome.imported.length > 0 ? "success" : "info"}>
          <p>
            Imported {count(outcome.imported.length, "key")}, skipped {count(outcome.skipped.length, "line")}.
          </p>
          {outcome.imported.length > 0 && (
            <ul class="plain">
              {outcome.imported.map((k) => (
                <li>
                  Line {k.line}: {k.label} ({providerName(k.provider)})
                </li>
              ))}
            </ul>
          )}
          {outcome.skipped.length > 0 && (
            <ul class="plain">
              {outcome.skipped.map((s) => (
                <li>
                  Line {s.line}
                  {s.variable ? ` (${s.variable})` : ""}: {s.reason}
                </li>
              ))}
            </ul>
          )}
        </Notice>
      )}
      <div class="actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </section>
  );
}
