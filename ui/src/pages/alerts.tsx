import { useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Alert } from "../bindings";
import { Notice } from "../components/notice";
import { formatTime } from "../format";

/** Alerts, newest first, each acknowledgeable while open. */
export function AlertList(props: { alerts: Alert[]; onChanged: () => void }) {
  const [error, setError] = useState<string | null>(null);
  async function acknowledge(id: number) {
    try {
      await api.acknowledgeAlert(id);
      setError(null);
      props.onChanged();
    } catch (e) {
      setError(asCommandError(e).message);
    }
  }
  if (props.alerts.length === 0) return <p>No open alerts.</p>;
  return (
    <>
      {error && <Notice kind="error">{error}</Notice>}
      <ul class="plain alerts">
        {props.alerts.map((a) => (
          <li class={`alert alert-${a.state}`}>
            <p>
              <strong>{a.kind === "threshold" ? `${a.threshold}% threshold` : a.kind}</strong>{" "}
              <time dateTime={a.createdAt}>{formatTime(a.createdAt)}</time>
            </p>
            <p class="alert-message">{a.message}</p>
            {a.state === "open" ? (
              <button type="button" onClick={() => acknowledge(a.id)} aria-label={`Acknowledge alert ${a.id}`}>
                Acknowledge
              </button>
            ) : (
              <p class="hint">{a.state}</p>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
