import { useEffect, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Settings } from "../bindings";
import { PageTitle } from "../components/layout";
import { Notice, type NoticeKind } from "../components/notice";
import { chooseTheme, storedTheme, type ThemeChoice } from "../theme";

type Message = { kind: NoticeKind; text: string } | null;

function AutoLockForm(props: { initial: number }) {
  const [minutes, setMinutes] = useState(String(props.initial));
  const [message, setMessage] = useState<Message>(null);

  async function save(event: Event) {
    event.preventDefault();
    try {
      await api.setAutoLockMinutes(Number(minutes));
      setMessage({ kind: "success", text: `Tallyvault now locks after ${Number(minutes)} idle minutes.` });
    } catch (e) {
      setMessage({ kind: "error", text: asCommandError(e).message });
    }
  }

  return (
    <form class="panel stack" onSubmit={save} aria-labelledby="autolock-title">
      <h2 id="autolock-title">Auto-lock</h2>
      <label>
        Lock after this many minutes without activity
        <input
          type="number"
          min={1}
          max={1440}
          step={1}
          required
          value={minutes}
          onInput={(e) => setMinutes(e.currentTarget.value)}
        />
      </label>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <div class="actions">
        <button type="submit" class="primary">
          Save
        </button>
      </div>
    </form>
  );
}

function BackupForm(props: { suggestedPath: string }) {
  const [path, setPath] = useState(props.suggestedPath);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);

  async function exportBackup(event: Event) {
    event.preventDefault();
    setBusy(true);
    try {
      await api.exportBackup(path, password);
      setMessage({ kind: "success", text: `Backup written to ${path}.` });
    } catch (e) {
      const error = asCommandError(e);
      const text = error.code === "wrong_password" ? "Wrong password: the backup was not written." : error.message;
      setMessage({ kind: "error", text });
    } finally {
      setPassword("");
      setBusy(false);
    }
  }

  return (
    <form class="panel stack" onSubmit={exportBackup} aria-labelledby="backup-title">
      <h2 id="backup-title">Backup</h2>
      <p class="hint">
        An encrypted copy of the whole vault and its audit log, opened with your master password. Restore it with{" "}
        <code>tallyvault vault import FILE</code> into an empty data directory.
      </p>
      <label>
        Save to
        <input value={path} onInput={(e) => setPath(e.currentTarget.value)} required spellcheck={false} />
      </label>
      <label>
        Master password
        <input
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          required
        />
      </label>
      {message && <Notice kind={message.kind}>{message.text}</Notice>}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy || !path.trim() || !password}>
          {busy ? "Exporting…" : "Export backup"}
        </button>
      </div>
    </form>
  );
}

function ThemeForm() {
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme());
  const options: [ThemeChoice, string][] = [
    ["system", "Follow the system"],
    ["light", "Light"],
    ["dark", "Dark"],
  ];
  return (
    <fieldset class="panel">
      <legend>Theme</legend>
      {options.map(([value, label]) => (
        <label class="check">
          <input
            type="radio"
            name="theme"
            value={value}
            checked={theme === value}
            onChange={() => {
              setTheme(value);
              chooseTheme(value);
            }}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

export function SettingsPage(props: { dataDir: string }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .getSettings()
      .then(setSettings)
      .catch((e) => setError(asCommandError(e).message));
  }, []);

  return (
    <section>
      <PageTitle title="Settings" />
      {error && <Notice kind="error">{error}</Notice>}
      {settings && (
        <>
          <AutoLockForm initial={settings.autoLockMinutes} />
          <BackupForm suggestedPath={settings.suggestedBackupPath} />
        </>
      )}
      <ThemeForm />
      <p class="hint">
        Data directory: <code>{props.dataDir}</code>
      </p>
    </section>
  );
}
