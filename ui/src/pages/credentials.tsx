import { useEffect, useRef, useState } from "preact/hooks";
import { api, asCommandError } from "../api";
import type { Credential } from "../bindings";
import { Confirm } from "../components/confirm";
import { PageTitle } from "../components/layout";
import { Notice, type NoticeKind } from "../components/notice";
import { formatTime, providerName } from "../format";
import { AddCredentialForm } from "./credential-add";
import { ImportEnvForm } from "./credential-import";
import { RotateDialog } from "./credential-rotate";

/** How long a revealed secret stays on screen. */
export const REVEAL_SECONDS = 8;

type Panel = "none" | "add" | "import";
type Message = { kind: NoticeKind; text: string };

export function CredentialsPage() {
  const [credentials, setCredentials] = useState<Credential[] | null>(null);
  const [panel, setPanel] = useState<Panel>("none");
  const [message, setMessage] = useState<Message | null>(null);
  const [revealed, setRevealed] = useState<{ id: number; value: string } | null>(null);
  const [rotating, setRotating] = useState<Credential | null>(null);
  const [deleting, setDeleting] = useState<Credential | null>(null);
  const [busy, setBusy] = useState(false);
  const hideTimer = useRef<ReturnType<typeof setTimeout>>();

  const reload = () =>
    api
      .listCredentials()
      .then(setCredentials)
      .catch((e) => setMessage({ kind: "error", text: asCommandError(e).message }));

  useEffect(() => {
    reload();
    return () => clearTimeout(hideTimer.current);
  }, []);

  const fail = (e: unknown) => setMessage({ kind: "error", text: asCommandError(e).message });

  async function reveal(c: Credential) {
    clearTimeout(hideTimer.current);
    try {
      const secret = await api.revealSecret(c.id);
      setRevealed({ id: c.id, value: secret.value });
      hideTimer.current = setTimeout(() => setRevealed(null), REVEAL_SECONDS * 1000);
      reload();
    } catch (e) {
      fail(e);
    }
  }

  async function copy(c: Credential) {
    try {
      const outcome = await api.copySecret(c.id);
      setMessage({
        kind: "success",
        text: `Copied ${c.label}. The clipboard is cleared in ${outcome.clearAfterSeconds} s if it still holds the key, and when Tallyvault locks.`,
      });
      reload();
    } catch (e) {
      fail(e);
    }
  }

  async function remove(c: Credential) {
    setBusy(true);
    try {
      await api.deleteCredential(c.id);
      setMessage({ kind: "success", text: `Deleted ${c.label}.` });
      setDeleting(null);
      reload();
    } catch (e) {
      fail(e);
      setDeleting(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <PageTitle title="Credentials">
        <div class="actions">
          <button type="button" class="primary" onClick={() => setPanel("add")}>
            Add credential
          </button>
          <button type="button" onClick={() => setPanel("import")}>
            Import .env file
          </button>
        </div>
      </PageTitle>
      {message && (
        <Notice kind={message.kind} onDismiss={() => setMessage(null)}>
          {message.text}
        </Notice>
      )}
      {panel === "add" && (
        <AddCredentialForm
          onCancel={() => setPanel("none")}
          onAdded={(c) => {
            setPanel("none");
            setMessage({ kind: "success", text: `Added ${c.label} (${providerName(c.provider)}).` });
            reload();
          }}
        />
      )}
      {panel === "import" && <ImportEnvForm onImported={reload} onClose={() => setPanel("none")} />}
      {credentials === null ? (
        <p>Loading…</p>
      ) : credentials.length === 0 ? (
        <p>No credentials yet. Add a key by pasting it, or import a .env file.</p>
      ) : (
        <table class="data">
          <caption class="visually-hidden">Credentials in this vault</caption>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col">Provider</th>
              <th scope="col">Added</th>
              <th scope="col">Last used</th>
              <th scope="col">Key</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {credentials.map((c) => (
              <tr key={c.id}>
                <th scope="row">{c.label}</th>
                <td>{providerName(c.provider)}</td>
                <td>{formatTime(c.createdAt)}</td>
                <td>{formatTime(c.lastUsedAt)}</td>
                <td class="secret-cell">
                  {revealed?.id === c.id ? (
                    <code class="secret" aria-live="polite">
                      {revealed.value}
                    </code>
                  ) : (
                    <span aria-label="hidden">••••••••</span>
                  )}
                </td>
                <td class="row-actions">
                  {revealed?.id === c.id ? (
                    <button type="button" onClick={() => setRevealed(null)}>
                      Hide
                    </button>
                  ) : (
                    <button type="button" onClick={() => reveal(c)} aria-label={`Reveal ${c.label}`}>
                      Reveal
                    </button>
                  )}
                  <button type="button" onClick={() => copy(c)} aria-label={`Copy ${c.label}`}>
                    Copy
                  </button>
                  <button type="button" onClick={() => setRotating(c)} aria-label={`Rotate ${c.label}`}>
                    Rotate
                  </button>
                  <button type="button" class="danger" onClick={() => setDeleting(c)} aria-label={`Delete ${c.label}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rotating && (
        <RotateDialog
          credential={rotating}
          onCancel={() => setRotating(null)}
          onRotated={(c) => {
            setRotating(null);
            setMessage({ kind: "success", text: `Rotated ${c.label}: the new key is stored.` });
            reload();
          }}
        />
      )}
      {deleting && (
        <Confirm
          title={`Delete ${deleting.label}?`}
          confirmLabel="Delete"
          danger
          busy={busy}
          onConfirm={() => remove(deleting)}
          onCancel={() => setDeleting(null)}
        >
          <p>The key is removed from the vault for good. Its audit history stays.</p>
        </Confirm>
      )}
    </section>
  );
}
