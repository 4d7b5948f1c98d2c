import { useEffect, useRef, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Credential } from "../bindings";
import { Notice } from "../components/notice";

/** Replace a credential's key with a new one (pasted). */
export function RotateDialog(props: {
  credential: Credential;
  onRotated: (credential: Credential) => void;
  onCancel: () => void;
}) {
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    try {
      const rotated = await api.rotateSecret(props.credential.id, secret);
      setSecret("");
      props.onRotated(rotated);
    } catch (e) {
      setError(asCommandError(e).message);
      setBusy(false);
    }
  }

  return (
    <div class="overlay" onKeyDown={(e) => e.key === "Escape" && props.onCancel()}>
      <form class="dialog stack" role="dialog" aria-modal="true" aria-labelledby="rotate-title" onSubmit={submit}>
        <h2 id="rotate-title">Rotate {props.credential.label}</h2>
        <label>
          New key (paste it)
          <input
            ref={input}
            type="password"
            autocomplete="off"
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        </label>
        {error && <Notice kind="error">{error}</Notice>}
        <div class="actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !secret.trim()}>
            Rotate
          </button>
        </div>
      </form>
    </div>
  );
}
