import { useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { UnlockOutcome } from "../bindings";
import { Brand } from "../components/brand";
import { Notice } from "../components/notice";

/** The message for a failed unlock: a wrong password is said plainly, anything else as the shell put it. */
export function unlockErrorMessage(error: unknown): string {
  const e = asCommandError(error);
  if (e.code === "wrong_password") return "Wrong password. Check it and try again.";
  return e.message;
}

export function UnlockPage(props: { notice?: string; onUnlocked: (outcome: UnlockOutcome) => void }) {
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (!password || busy) return;
    setBusy(true);
    setError(null);
    try {
      const outcome = await api.unlockVault(password);
      setPassword("");
      props.onUnlocked(outcome);
    } catch (e) {
      setError(unlockErrorMessage(e));
      setPassword("");
      setBusy(false);
    }
  }

  return (
    <main class="gate">
      <Brand />
      <h1>Unlock Tallyvault</h1>
      {props.notice && <Notice kind="info">{props.notice}</Notice>}
      <form onSubmit={submit} class="stack">
        <label>
          Master password
          <input
            type="password"
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            aria-invalid={error !== null}
            autofocus
          />
        </label>
        {error && <Notice kind="error">{error}</Notice>}
        <button type="submit" class="primary" disabled={!password || busy}>
          {busy ? "Unlocking…" : "Unlock"}
        </button>
      </form>
    </main>
  );
}
