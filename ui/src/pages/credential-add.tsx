import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Credential } from "../bindings";
import { Notice } from "../components/notice";
import { providerName } from "../format";

const DETECT_DELAY_MS = 250;

/** Add a key by pasting it; the provider is detected from its shape unless chosen. */
export function AddCredentialForm(props: { onAdded: (credential: Credential) => void; onCancel: () => void }) {
  const [label, setLabel] = useState("");
  const [secret, setSecret] = useState("");
  const [provider, setProvider] = useState("");
  const [note, setNote] = useState("");
  const [expiresAt, setExpiresAt] = useState("");
  const [providers, setProviders] = useState<string[]>([]);
  const [detected, setDetected] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.listProviders().then(setProviders).catch(() => setProviders([]));
  }, []);

  useEffect(() => {
    if (!secret.trim()) {
      setDetected(null);
      return;
    }
    const timer = setTimeout(() => {
      api.detectProvider(secret).then(setDetected).catch(() => setDetected(null));
    }, DETECT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [secret]);

  const needsProvider = secret.trim() !== "" && detected === null && provider === "";

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const added = await api.addCredential({
        label,
        secret,
        provider: provider || null,
        note: note || null,
        expiresAt: expiresAt || null,
      });
      setSecret("");
      props.onAdded(added);
    } catch (e) {
      setError(asCommandError(e).message);
      setBusy(false);
    }
  }

  return (
    <form class="panel stack" onSubmit={submit} aria-labelledby="add-title">
      <h2 id="add-title">Add a credential</h2>
      <label>
        Label
        <input value={label} onInput={(e) => setLabel(e.currentTarget.value)} required autofocus />
      </label>
      <label>
        Key (paste it)
        <input
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={secret}
          onInput={(e) => setSecret(e.currentTarget.value)}
          aria-describedby="detected-provider"
          required
        />
      </label>
      <p id="detected-provider" class="hint" aria-live="polite">
        {secret.trim() === ""
          ? "The provider is detected from the key."
          : detected
            ? `Detected provider: ${providerName(detected)}`
            : "This key's provider cannot be detected: choose it below."}
      </p>
      <label>
        Provider
        <select value={provider} onChange={(e) => setProvider(e.currentTarget.value)} aria-invalid={needsProvider}>
          <option value="">{detected ? `Detected: ${providerName(detected)}` : "Choose…"}</option>
          {providers.map((p) => (
            <option value={p}>{providerName(p)}</option>
          ))}
        </select>
      </label>
      <label>
        Note (optional, stored encrypted)
        <input value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <label>
        Expires (optional)
        <input type="date" value={expiresAt} onInput={(e) => setExpiresAt(e.currentTarget.value)} />
      </label>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" class="primary" disabled={busy || !label.trim() || !secret.trim() || needsProvider}>
          {busy ? "Adding…" : "Add"}
        </button>
      </div>
    </form>
  );
}
