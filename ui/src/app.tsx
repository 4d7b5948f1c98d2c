import { useEffect, useState } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import { api, asCommandError, VAULT_LOCKED_EVENT, type CommandError } from "./api";
import type { UnlockOutcome, VaultLockedEvent } from "./bindings";
import { Layout, type PageId } from "./components/layout";
import { Notice } from "./components/notice";
import { Brand } from "./components/brand";
import { watchActivity } from "./activity";
import { AuditPage } from "./pages/audit";
import { BudgetsPage } from "./pages/budgets";
import { SourcesPage } from "./pages/sources";
import { UsagePage } from "./pages/usage";
import { CredentialsPage } from "./pages/credentials";
import { DashboardPage } from "./pages/dashboard";
import { SettingsPage } from "./pages/settings";
import { SetupPage } from "./pages/setup";
import { UnlockPage } from "./pages/unlock";

export type Screen =
  | { kind: "loading" }
  | { kind: "failed"; error: CommandError }
  | { kind: "setup" }
  | { kind: "locked"; notice?: string }
  | { kind: "open"; unlockOutcome: UnlockOutcome | null };

export const IDLE_LOCK_NOTICE = "Tallyvault locked itself after a period without activity.";
export const TRAY_LOCK_NOTICE = "Tallyvault was locked from its tray menu.";

/** Which screen the vault's status calls for. */
export async function initialScreen(): Promise<Screen> {
  try {
    const status = await api.vaultStatus();
    if (!status.exists) return { kind: "setup" };
    return status.unlocked ? { kind: "open", unlockOutcome: null } : { kind: "locked" };
  } catch (error) {
    return { kind: "failed", error: asCommandError(error) };
  }
}

export function App() {
  const [screen, setScreen] = useState<Screen>({ kind: "loading" });
  const [page, setPage] = useState<PageId>("dashboard");
  const [dataDir, setDataDir] = useState("");

  useEffect(() => {
    initialScreen().then(setScreen);
    api.vaultStatus().then((s) => setDataDir(s.dataDir)).catch(() => undefined);
    const unlisten = listen<VaultLockedEvent>(VAULT_LOCKED_EVENT, (event) =>
      setScreen({ kind: "locked", notice: event.payload?.reason === "tray" ? TRAY_LOCK_NOTICE : IDLE_LOCK_NOTICE }),
    );
    return () => {
      unlisten.then((stop) => stop()).catch(() => undefined);
    };
  }, []);

  const open = screen.kind === "open";
  useEffect(() => {
    if (!open) return;
    const stopWatching = watchActivity();
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey && e.key.toLowerCase() === "l") {
        e.preventDefault();
        lock();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => {
      stopWatching();
      window.removeEventListener("keydown", onKey);
    };
  }, [open]);

  async function lock() {
    try {
      await api.lockVault();
      setScreen({ kind: "locked" });
    } catch (error) {
      setScreen({ kind: "failed", error: asCommandError(error) });
    }
  }

  switch (screen.kind) {
    case "loading":
      return (
        <main class="gate">
          <Brand />
          <p>Opening Tallyvault…</p>
        </main>
      );
    case "failed":
      return (
        <main class="gate">
          <Brand />
          <h1>Tallyvault cannot open its vault</h1>
          <Notice kind="error">{screen.error.message}</Notice>
          <button type="button" onClick={() => initialScreen().then(setScreen)}>
            Try again
          </button>
        </main>
      );
    case "setup":
      return <SetupPage dataDir={dataDir} onCreated={() => setScreen({ kind: "open", unlockOutcome: null })} />;
    case "locked":
      return (
        <UnlockPage
          notice={screen.notice}
          onUnlocked={(outcome) => {
            setPage("dashboard");
            setScreen({ kind: "open", unlockOutcome: outcome });
          }}
        />
      );
    case "open":
      return (
        <Layout page={page} onNavigate={setPage} onLock={lock}>
          {page === "dashboard" && (
            <DashboardPage
              unlockOutcome={screen.unlockOutcome}
              onDismissUnlockOutcome={() => setScreen({ kind: "open", unlockOutcome: null })}
              onNavigate={setPage}
            />
          )}
          {page === "usage" && <UsagePage />}
          {page === "budgets" && <BudgetsPage />}
          {page === "sources" && <SourcesPage />}
          {page === "credentials" && <CredentialsPage />}
          {page === "audit" && <AuditPage />}
          {page === "settings" && <SettingsPage dataDir={dataDir} />}
        </Layout>
      );
  }
}
