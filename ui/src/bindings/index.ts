// Generated from src-tauri/src/dto.rs by `cargo test -p tallyvault-desktop`. Do not edit.

export type ErrorCode = "locked" | "wrong_password" | "not_found" | "invalid_input" | "provider_unavailable" | "internal";

export type CommandError = { code: ErrorCode, message: string, };

export type VaultStatus = { exists: boolean, unlocked: boolean, dataDir: string, };

export type UnlockOutcome = { 
/**
 * Times (RFC 3339, UTC) of failed attempts since the last successful unlock.
 */
failedAttempts: Array<string>, integrityWarning: string | null, };

export type Credential = { id: number, provider: string, label: string, hasNote: boolean, expiresAt: string | null, createdAt: string, rotatedAt: string | null, lastUsedAt: string | null, invalidReason: string | null, };

export type NewCredentialInput = { label: string, 
/**
 * `None`: detect the provider from the key.
 */
provider: string | null, secret: string, note: string | null, 
/**
 * `YYYY-MM-DD`.
 */
expiresAt: string | null, };

export type RevealedSecret = { value: string, };

export type CopyOutcome = { clearAfterSeconds: number, };

export type ImportedCredential = { line: number, variable: string, id: number, label: string, provider: string, };

export type SkippedLine = { line: number, variable: string | null, reason: string, };

export type ImportOutcome = { imported: Array<ImportedCredential>, skipped: Array<SkippedLine>, };

export type AuditQuery = { since?: string | null, 
/**
 * Exclusive.
 */
until?: string | null, action?: string | null, credentialId?: number | null, 
/**
 * Continue from a previous page's `nextBeforeSeq`.
 */
beforeSeq?: number | null, limit?: number | null, };

export type AuditEvent = { seq: number, at: string, action: string, credentialId: number | null, 
/**
 * The event's decrypted details (labels, providers, counts; never a secret).
 */
details: Record<string, unknown>, };

export type AuditPage = { events: Array<AuditEvent>, 
/**
 * Pass as `beforeSeq` for the next (older) page; `null` when this is the last one.
 */
nextBeforeSeq: number | null, };

export type AuditVerification = { ok: boolean, events: number, 
/**
 * What is wrong, in words, when `ok` is false.
 */
problem: string | null, };

export type Settings = { autoLockMinutes: number, 
/**
 * A backup file name in the user's home directory, to prefill the export form.
 */
suggestedBackupPath: string, };

export type VaultLockedEvent = { reason: string, };

export type MoneyAmount = { nanos: number, 
/**
 * `$1,234.57`.
 */
text: string, };

export type DashboardRequest = { 
/**
 * The chart covers the last this-many days (7, 30, 90...).
 */
chartDays: number, 
/**
 * `provider` or `model`.
 */
breakdown: string, 
/**
 * `light` or `dark`: the chart's colours.
 */
theme: string, };

export type SpendTotal = { from: string, to: string, cost: MoneyAmount, requests: number, tokens: number, unpricedRequests: number, unpricedTokens: number, };

export type Projection = { periodStart: string, 
/**
 * Exclusive.
 */
periodEnd: string, spent: MoneyAmount, projected: MoneyAmount, lower: MoneyAmount, upper: MoneyAmount, 
/**
 * The interval's coverage, 0.8 for 80%.
 */
level: number, exhaustionDate: string | null, projectedOver: boolean, method: string, historyDays: number, note: string | null, };

export type BudgetScope = { provider?: string | null, 
/**
 * A model name or a glob such as `claude-*`.
 */
model?: string | null, project?: string | null, source?: string | null, };

export type BudgetProgress = { id: number, name: string, amount: MoneyAmount, 
/**
 * `day`, `week` or `month`.
 */
period: string, cycleDay: number, scope: BudgetScope, 
/**
 * `all usage`, `provider=openai model=gpt-*`.
 */
scopeText: string, thresholds: Array<number>, forecastAlert: boolean, periodStart: string, 
/**
 * Exclusive.
 */
periodEnd: string, spent: MoneyAmount, percent: number, over: boolean, projection: Projection, };

export type BudgetInput = { name: string, amount: string, 
/**
 * `day`, `week` or `month`.
 */
period: string, cycleDay: number | null, scope: BudgetScope, 
/**
 * Percents, `50,80,100`.
 */
thresholds: string, forecastAlert: boolean, };

export type Alert = { id: number, 
/**
 * `threshold`, `forecast` or `anomaly`.
 */
kind: string, 
/**
 * `open`, `acknowledged` or `resolved`.
 */
state: string, budgetId: number | null, budgetName: string | null, threshold: number | null, message: string, createdAt: string, };

export type ChartSeries = { name: string, 
/**
 * The bars' fill, `#RRGGBB`.
 */
colour: string, total: MoneyAmount, };

export type Chart = { svg: string, title: string, description: string, series: Array<ChartSeries>, from: string, to: string, };

export type Dashboard = { timezone: string, today: SpendTotal, week: SpendTotal, month: SpendTotal, forecast: Projection, budgets: Array<BudgetProgress>, alerts: Array<Alert>, chart: Chart, };

export type ChartExport = { chartDays: number, breakdown: string, theme: string, 
/**
 * Absolute; must not exist yet.
 */
path: string, };

export type ExportOutcome = { path: string, bytes: number, 
/**
 * Data rows written (CSV).
 */
rows: number | null, };

export type UsageQuery = { since?: string | null, until?: string | null, sources: Array<string>, providers: Array<string>, models: Array<string>, projects: Array<string>, 
/**
 * One row per day (else one per combination over the range).
 */
perDay: boolean, 
/**
 * date, source, provider, model, project, requests, tokens, cost.
 */
sort: string, descending: boolean, offset: number, limit: number, };

export type UsageAmounts = { inputTokens: number, outputTokens: number, cacheWriteTokens: number, cacheReadTokens: number, reasoningTokens: number, totalTokens: number, requests: number, cost: MoneyAmount, unpricedTokens: number, unpricedRequests: number, };

export type UsageRow = { 
/**
 * `None` when rows span the whole range.
 */
date: string | null, source: string, provider: string, model: string, project: string, amounts: UsageAmounts, };

export type UsagePage = { rows: Array<UsageRow>, totalRows: number, totals: UsageAmounts, offset: number, timezone: string, };

export type UsageFacets = { sources: Array<string>, providers: Array<string>, models: Array<string>, projects: Array<string>, };

export type ScanResult = { 
/**
 * When it finished (RFC 3339, UTC).
 */
at: string, files: number, filesRead: number, usageLines: number, recordsWritten: number, skippedLines: number, durationMs: number, 
/**
 * Alerts the new usage raised.
 */
newAlerts: Array<Alert>, };

export type SourceState = { source: string, folders: Array<string>, existing: Array<string>, files: number, lines: number, skippedLines: number, lastScanAt: string | null, };

export type ProviderAccount = { id: number, provider: string, credentialLabel: string, 
/**
 * Why the provider refused the key, when it did: the account waits for a rotated key.
 */
credentialInvalid: string | null, baseUrl: string | null, intervalSecs: number, lastSuccessAt: string | null, lastError: string | null, lastErrorAt: string | null, 
/**
 * `closed`, `open` or `half-open`.
 */
circuitState: string, circuitOpenUntil: string | null, consecutiveFailures: number, requestsTotal: number, queuedWindows: number, };

export type QueuedWindow = { accountId: number, endpoint: string, windowStart: string | null, windowEnd: string | null, attempts: number, lastError: string, nextTry: string | null, };

export type SourcesOverview = { sources: Array<SourceState>, accounts: Array<ProviderAccount>, queue: Array<QueuedWindow>, 
/**
 * The desktop's own last scan (manual, watched or at start), if any since launch.
 */
lastScan: ScanResult | null, lastScanError: string | null, 
/**
 * Whether the agent log folders are watched for new lines.
 */
watching: boolean, 
/**
 * The poll scheduler's last run, if any since launch (RFC 3339).
 */
lastPollAt: string | null, lastPollError: string | null, };

export type PollResult = { accountId: number, provider: string, requests: number, windowsOk: number, windowsFailed: number, usageRows: number, costRows: number, stopped: string | null, };

export type UsageChangedEvent = { 
/**
 * `scan`, `watch` or `poll`.
 */
reason: string, recordsWritten: number, newAlerts: Array<Alert>, };
