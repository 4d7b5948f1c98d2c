import { useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import { Brand } from "../components/brand";
import { Notice } from "../components/notice";
import { MIN_PASSWORD_LENGTH, passwordStrength } from "../password-strength";

/** First run: create the vault. */
export function SetupPage(props: { dataDir: string; onCreated: () => void }) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [understood, setUnderstood] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const strength = passwordStrength(password);
  const mismatch = repeat.length > 0 && repeat !== password;
  const ready = strength.level >= 2 && repeat === password && understood && !busy;

  async function submit(event: Event) {
    event.preventDefault();
    if (!ready) return;
    setBusy(true);
    setError(null);
    try {
      await api.createVault(password);
      setPassword("");
      setRepeat("");
      props.onCreated();
    } catch (e) {
      setError(asCommandError(e).message);
      setBusy(false);
    }
  }

  return (
    <main class="gate">
      <Brand />
      <h1>Create your Tallyvault</h1>
      <p>
        Tallyvault keeps your AI provider keys encrypted on this computer, in <code>{props.dataDir}</code>. Choose
        a master password to protect them.
      </p>
      <Notice kind="warning">
        <strong>There is no recovery.</strong> If you forget this password, nobody, including us, can open the
        vault or get your keys back. Write it down somewhere safe.
      </Notice>
      <form onSubmit={submit} class="stack">
        <label>
          Master password
          <input
            type="password"
            autocomplete="new-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-describedby="strength"
            autofocus
          />
        </label>
        <div id="strength" class="strength" aria-live="polite">
          <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.level} aria-label="Password strength" />
          <span>
            Strength: <strong>{strength.label}</strong>
          </span>
          {strength.hints.map((hint) => (
            <p class="hint">{hint}</p>
          ))}
        </div>
        <label>
          Repeat it
          <input
            type="password"
            autocomplete="new-password"
            value={repeat}
            onInput={(e) => setRepeat(e.currentTarget.value)}
            aria-invalid={mismatch}
          />
        </label>
        {mismatch && <p class="field-error">The two passwords differ.</p>}
        <label class="check">
          <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.currentTarget.checked)} />
          I understand that a forgotten password cannot be recovered.
        </label>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" class="primary" disabled={!ready}>
          {busy ? "Creating…" : "Create vault"}
        </button>
        {strength.level < 2 && password.length >= MIN_PASSWORD_LENGTH && (
          <p class="hint">The password must be at least “fair” to continue.</p>
        )}
      </form>
    </main>
  );
}
