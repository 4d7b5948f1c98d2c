// Typed calls of the shell's commands. Every call goes through `call`, so a failure is always a
// `CommandError` ({ code, message }) the pages can act on.
import { invoke } from "@tauri-apps/api/core";
import type {
  Alert,
  AuditPage,
  BudgetInput,
  BudgetProgress,
  ChartExport,
  Dashboard,
  DashboardRequest,
  ExportOutcome,
  PollResult,
  ScanResult,
  SourcesOverview,
  UsageFacets,
  UsagePage,
  UsageQuery,
  AuditQuery,
  AuditVerification,
  CommandError,
  CopyOutcome,
  Credential,
  ErrorCode,
  ImportOutcome,
  NewCredentialInput,
  RevealedSecret,
  Settings,
  UnlockOutcome,
  VaultStatus,
} from "./bindings";

export type { CommandError, ErrorCode };

export function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CommandError).code === "string" &&
    typeof (value as CommandError).message === "string"
  );
}

/** Any thrown value as a CommandError: the shell's own, or an unexpected failure as `internal`. */
export function asCommandError(value: unknown): CommandError {
  if (isCommandError(value)) return value;
  return { code: "internal", message: value instanceof Error ? value.message : String(value) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw asCommandError(error);
  }
}

export const api = {
  vaultStatus: () => call<VaultStatus>("vault_status"),
  createVault: (password: string) => call<null>("create_vault", { password }),
  unlockVault: (password: string) => call<UnlockOutcome>("unlock_vault", { password }),
  lockVault: () => call<null>("lock_vault"),
  noteActivity: () => call<null>("note_activity"),
  listCredentials: () => call<Credential[]>("list_credentials"),
  listProviders: () => call<string[]>("list_providers"),
  detectProvider: (secret: string) => call<string | null>("detect_provider", { secret }),
  addCredential: (input: NewCredentialInput) => call<Credential>("add_credential", { input }),
  revealSecret: (id: number) => call<RevealedSecret>("reveal_secret", { id }),
  copySecret: (id: number) => call<CopyOutcome>("copy_secret", { id }),
  rotateSecret: (id: number, secret: string) => call<Credential>("rotate_secret", { id, secret }),
  deleteCredential: (id: number) => call<Credential>("delete_credential", { id }),
  importEnv: (text: string) => call<ImportOutcome>("import_env", { text }),
  auditEvents: (query: AuditQuery) => call<AuditPage>("audit_events", { query }),
  verifyAudit: () => call<AuditVerification>("verify_audit"),
  getSettings: () => call<Settings>("get_settings"),
  setAutoLockMinutes: (minutes: number) => call<null>("set_auto_lock_minutes", { minutes }),
  exportBackup: (path: string, password: string) => call<null>("export_backup", { path, password }),
  dashboard: (request: DashboardRequest) => call<Dashboard>("dashboard", { request }),
  exportChartPng: (exportRequest: ChartExport) => call<ExportOutcome>("export_chart_png", { export: exportRequest }),
  usagePage: (query: UsageQuery) => call<UsagePage>("usage_page", { query }),
  usageFacets: (query: UsageQuery) => call<UsageFacets>("usage_facets", { query }),
  exportUsageCsv: (query: UsageQuery, path: string) => call<ExportOutcome>("export_usage_csv", { query, path }),
  scanNow: () => call<ScanResult>("scan_now"),
  suggestedExportPath: (kind: "csv" | "png") => call<string>("suggested_export_path", { kind }),
  listBudgets: () => call<BudgetProgress[]>("list_budgets"),
  addBudget: (input: BudgetInput) => call<number>("add_budget", { input }),
  editBudget: (id: number, input: BudgetInput) => call<null>("edit_budget", { id, input }),
  deleteBudget: (id: number) => call<null>("delete_budget", { id }),
  listAlerts: (all: boolean) => call<Alert[]>("list_alerts", { all }),
  acknowledgeAlert: (id: number) => call<Alert>("acknowledge_alert", { id }),
  sourcesOverview: () => call<SourcesOverview>("sources_overview"),
  pollNow: () => call<PollResult[]>("poll_now"),
};

/** The event the shell emits when new usage was stored (a scan, the watcher, a poll). */
export const USAGE_CHANGED_EVENT = "usage-changed";

/** The event the shell emits when it locks the vault by itself (idle). */
export const VAULT_LOCKED_EVENT = "vault-locked";
