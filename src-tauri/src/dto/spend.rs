//! Spend, budgets, alerts, sources and providers, as the UI receives them. Money travels as exact nano-dollars
//! (a JS number is exact up to $9 million) together with the core's own rendering (`$1,234.57`, rounded half to
//! even), so the UI never adds or rounds money itself. Nothing here holds a secret.

use serde::{Deserialize, Serialize};
use tallyvault::budget::{self, BudgetStatus};
use tallyvault::money::Money;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MoneyAmount {
    pub nanos: i64,
    /// `$1,234.57`.
    pub text: String,
}

impl From<Money> for MoneyAmount {
    fn from(m: Money) -> Self {
        MoneyAmount {
            nanos: m.nanos(),
            text: m.to_string(),
        }
    }
}

/// What the dashboard asks for.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DashboardRequest {
    /// The chart covers the last this-many days (7, 30, 90...).
    pub chart_days: u32,
    /// `provider` or `model`.
    pub breakdown: String,
    /// `light` or `dark`: the chart's colours.
    pub theme: String,
}

/// Spend over local dates [from, to].
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpendTotal {
    pub from: String,
    pub to: String,
    pub cost: MoneyAmount,
    pub requests: i64,
    pub tokens: u64,
    pub unpriced_requests: i64,
    pub unpriced_tokens: u64,
}

impl From<tallyvault::dashboard::SpendTotal> for SpendTotal {
    fn from(t: tallyvault::dashboard::SpendTotal) -> Self {
        SpendTotal {
            from: t.from.to_string(),
            to: t.to.to_string(),
            cost: t.cost.into(),
            requests: t.requests,
            tokens: t.tokens,
            unpriced_requests: t.unpriced_requests,
            unpriced_tokens: t.unpriced_tokens,
        }
    }
}

/// Spend projected to the end of a period, with its interval.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    pub period_start: String,
    /// Exclusive.
    pub period_end: String,
    pub spent: MoneyAmount,
    pub projected: MoneyAmount,
    pub lower: MoneyAmount,
    pub upper: MoneyAmount,
    /// The interval's coverage, 0.8 for 80%.
    pub level: f64,
    pub exhaustion_date: Option<String>,
    pub projected_over: bool,
    pub method: String,
    pub history_days: u32,
    pub note: Option<String>,
}

impl From<tallyvault::forecast::PeriodProjection> for Projection {
    fn from(p: tallyvault::forecast::PeriodProjection) -> Self {
        Projection {
            period_start: p.period_start.to_string(),
            period_end: p.period_end.to_string(),
            spent: p.spent.into(),
            projected: p.projected.into(),
            lower: p.lower.into(),
            upper: p.upper.into(),
            level: p.level,
            exhaustion_date: p.exhaustion_date.map(|d| d.to_string()),
            projected_over: p.projected_over,
            method: p.method,
            history_days: u32::try_from(p.history_days).unwrap_or(u32::MAX),
            note: p.note,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields = nullable)]
pub struct BudgetScope {
    pub provider: Option<String>,
    /// A model name or a glob such as `claude-*`.
    pub model: Option<String>,
    pub project: Option<String>,
    pub source: Option<String>,
}

/// A budget and its current period.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BudgetProgress {
    pub id: i64,
    pub name: String,
    pub amount: MoneyAmount,
    /// `day`, `week` or `month`.
    pub period: String,
    pub cycle_day: u32,
    pub scope: BudgetScope,
    /// `all usage`, `provider=openai model=gpt-*`.
    pub scope_text: String,
    pub thresholds: Vec<u32>,
    pub forecast_alert: bool,
    pub period_start: String,
    /// Exclusive.
    pub period_end: String,
    pub spent: MoneyAmount,
    pub percent: f64,
    pub over: bool,
    pub projection: Projection,
}

impl From<BudgetStatus> for BudgetProgress {
    fn from(s: BudgetStatus) -> Self {
        let b = s.budget;
        BudgetProgress {
            id: b.id,
            scope_text: b.scope.describe(),
            name: b.name,
            amount: b.amount.into(),
            period: b.period.as_str().to_string(),
            cycle_day: b.cycle_day,
            scope: BudgetScope {
                provider: b.scope.provider,
                model: b.scope.model,
                project: b.scope.project,
                source: b.scope.source,
            },
            thresholds: b.thresholds,
            forecast_alert: b.forecast_alert,
            period_start: s.period.start.to_string(),
            period_end: s.period.end.to_string(),
            spent: s.spent.into(),
            percent: s.percent,
            over: s.over,
            projection: s.projection.into(),
        }
    }
}

/// A budget to create, or the fields of one to change. `amount` is in dollars (`12.50`).
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BudgetInput {
    pub name: String,
    pub amount: String,
    /// `day`, `week` or `month`.
    pub period: String,
    pub cycle_day: Option<u32>,
    pub scope: BudgetScope,
    /// Percents, `50,80,100`.
    pub thresholds: String,
    pub forecast_alert: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: i64,
    /// `threshold`, `forecast` or `anomaly`.
    pub kind: String,
    /// `open`, `acknowledged` or `resolved`.
    pub state: String,
    pub budget_id: Option<i64>,
    pub budget_name: Option<String>,
    pub threshold: Option<u32>,
    pub message: String,
    pub created_at: String,
}

impl From<budget::Alert> for Alert {
    fn from(a: budget::Alert) -> Self {
        Alert {
            id: a.id,
            kind: a.kind,
            state: a.state.as_str().to_string(),
            budget_id: a.budget_id,
            budget_name: a.budget_name,
            threshold: a.threshold,
            message: a.message,
            created_at: a.created_at,
        }
    }
}

/// One series of the chart, for its legend and its table.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartSeries {
    pub name: String,
    /// The bars' fill, `#RRGGBB`.
    pub colour: String,
    pub total: MoneyAmount,
}

/// The chart, drawn by the core (plotters SVG, with its own `<title>` and `<desc>`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    pub svg: String,
    pub title: String,
    pub description: String,
    pub series: Vec<ChartSeries>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub timezone: String,
    pub today: SpendTotal,
    pub week: SpendTotal,
    pub month: SpendTotal,
    pub forecast: Projection,
    pub budgets: Vec<BudgetProgress>,
    pub alerts: Vec<Alert>,
    pub chart: Chart,
}

/// Where to write a chart's PNG.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChartExport {
    pub chart_days: u32,
    pub breakdown: String,
    pub theme: String,
    /// Absolute; must not exist yet.
    pub path: String,
}

/// A file written by an export.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportOutcome {
    pub path: String,
    pub bytes: u64,
    /// Data rows written (CSV).
    pub rows: Option<u32>,
}

/// The usage explorer's filters, sort and page. Dates are local (the user's zone), inclusive.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields = nullable)]
pub struct UsageQuery {
    pub since: Option<String>,
    pub until: Option<String>,
    pub sources: Vec<String>,
    pub providers: Vec<String>,
    pub models: Vec<String>,
    pub projects: Vec<String>,
    /// One row per day (else one per combination over the range).
    pub per_day: bool,
    /// date, source, provider, model, project, requests, tokens, cost.
    pub sort: String,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
}

impl Default for UsageQuery {
    fn default() -> Self {
        UsageQuery {
            since: None,
            until: None,
            sources: Vec::new(),
            providers: Vec::new(),
            models: Vec::new(),
            projects: Vec::new(),
            per_day: true,
            sort: "date".into(),
            descending: true,
            offset: 0,
            limit: 100,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageAmounts {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_write_tokens: u64,
    pub cache_read_tokens: u64,
    pub reasoning_tokens: u64,
    pub total_tokens: u64,
    pub requests: i64,
    pub cost: MoneyAmount,
    pub unpriced_tokens: u64,
    pub unpriced_requests: i64,
}

impl From<tallyvault::report::Amounts> for UsageAmounts {
    fn from(a: tallyvault::report::Amounts) -> Self {
        let t = &a.tokens;
        UsageAmounts {
            input_tokens: t.input,
            output_tokens: t.output,
            cache_write_tokens: t.cache_write_5m + t.cache_write_1h,
            cache_read_tokens: t.cache_read,
            reasoning_tokens: t.reasoning,
            total_tokens: t.total(),
            requests: a.requests,
            cost: a.cost.into(),
            unpriced_tokens: a.unpriced_tokens,
            unpriced_requests: a.unpriced_requests,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    /// `None` when rows span the whole range.
    pub date: Option<String>,
    pub source: String,
    pub provider: String,
    pub model: String,
    pub project: String,
    pub amounts: UsageAmounts,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsagePage {
    pub rows: Vec<UsageRow>,
    pub total_rows: u32,
    pub totals: UsageAmounts,
    pub offset: u32,
    pub timezone: String,
}

impl UsagePage {
    pub fn new(page: tallyvault::report::explore::ExplorePage, timezone: String) -> Self {
        UsagePage {
            rows: page
                .rows
                .into_iter()
                .map(|r| UsageRow {
                    date: r.date.map(|d| d.to_string()),
                    source: r.source,
                    provider: r.provider,
                    model: r.model,
                    project: r.project,
                    amounts: r.amounts.into(),
                })
                .collect(),
            total_rows: u32::try_from(page.total_rows).unwrap_or(u32::MAX),
            totals: page.totals.into(),
            offset: u32::try_from(page.offset).unwrap_or(u32::MAX),
            timezone,
        }
    }
}

/// The values the explorer's filters offer.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageFacets {
    pub sources: Vec<String>,
    pub providers: Vec<String>,
    pub models: Vec<String>,
    pub projects: Vec<String>,
}

impl From<tallyvault::report::explore::Facets> for UsageFacets {
    fn from(f: tallyvault::report::explore::Facets) -> Self {
        UsageFacets {
            sources: f.sources,
            providers: f.providers,
            models: f.models,
            projects: f.projects,
        }
    }
}

/// What a scan of the local logs did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScanResult {
    /// When it finished (RFC 3339, UTC).
    pub at: String,
    pub files: u32,
    pub files_read: u32,
    pub usage_lines: u64,
    pub records_written: u32,
    pub skipped_lines: u64,
    pub duration_ms: u64,
    /// Alerts the new usage raised.
    pub new_alerts: Vec<Alert>,
}

impl ScanResult {
    pub fn new(outcome: tallyvault::ingest::ScanOutcome, at: String) -> Self {
        let s = outcome.summary;
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        ScanResult {
            at,
            files: count(s.files),
            files_read: count(s.files_read),
            usage_lines: s.usage_lines,
            records_written: count(s.records_written),
            skipped_lines: s.skipped_lines,
            duration_ms: s.duration_ms,
            new_alerts: outcome.raised.into_iter().map(Alert::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourceState {
    pub source: String,
    pub folders: Vec<String>,
    pub existing: Vec<String>,
    pub files: i64,
    pub lines: i64,
    pub skipped_lines: i64,
    pub last_scan_at: Option<String>,
}

impl From<tallyvault::sources::status::SourceStatus> for SourceState {
    fn from(s: tallyvault::sources::status::SourceStatus) -> Self {
        SourceState {
            source: s.source,
            folders: s.folders,
            existing: s.existing,
            files: s.files,
            lines: s.lines,
            skipped_lines: s.skipped_lines,
            last_scan_at: s.last_scan_at,
        }
    }
}

/// A provider account's poll state. The credential is named by its label only.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProviderAccount {
    pub id: i64,
    pub provider: String,
    pub credential_label: String,
    /// Why the provider refused the key, when it did: the account waits for a rotated key.
    pub credential_invalid: Option<String>,
    pub base_url: Option<String>,
    pub interval_secs: i64,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// `closed`, `open` or `half-open`.
    pub circuit_state: String,
    pub circuit_open_until: Option<String>,
    pub consecutive_failures: u32,
    pub requests_total: i64,
    pub queued_windows: i64,
}

fn time_of_ms(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(tallyvault::audit::format_time)
}

impl From<tallyvault::providers::accounts::Account> for ProviderAccount {
    fn from(a: tallyvault::providers::accounts::Account) -> Self {
        ProviderAccount {
            id: a.id,
            provider: a.provider,
            credential_label: a.credential_label,
            credential_invalid: a.credential_invalid,
            base_url: a.base_url,
            interval_secs: a.interval_secs,
            last_success_at: a.last_success_at,
            last_error: a.last_error,
            last_error_at: a.last_error_at,
            circuit_state: a.circuit_state.as_str().to_string(),
            circuit_open_until: a.circuit_open_until_ms.and_then(time_of_ms),
            consecutive_failures: a.consecutive_failures,
            requests_total: a.requests_total,
            queued_windows: a.queued_windows,
        }
    }
}

/// A failed window waiting to be fetched again.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct QueuedWindow {
    pub account_id: i64,
    pub endpoint: String,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub attempts: i64,
    pub last_error: String,
    pub next_try: Option<String>,
}

impl From<tallyvault::providers::accounts::QueuedWindow> for QueuedWindow {
    fn from(q: tallyvault::providers::accounts::QueuedWindow) -> Self {
        QueuedWindow {
            account_id: q.account_id,
            endpoint: q.endpoint,
            window_start: time_of_ms(q.window_start.saturating_mul(1000)),
            window_end: time_of_ms(q.window_end.saturating_mul(1000)),
            attempts: q.attempts,
            last_error: q.last_error,
            next_try: time_of_ms(q.next_try_ms),
        }
    }
}

/// The providers and sources page.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SourcesOverview {
    pub sources: Vec<SourceState>,
    pub accounts: Vec<ProviderAccount>,
    pub queue: Vec<QueuedWindow>,
    /// The desktop's own last scan (manual, watched or at start), if any since launch.
    pub last_scan: Option<ScanResult>,
    pub last_scan_error: Option<String>,
    /// Whether the agent log folders are watched for new lines.
    pub watching: bool,
    /// The poll scheduler's last run, if any since launch (RFC 3339).
    pub last_poll_at: Option<String>,
    pub last_poll_error: Option<String>,
}

/// What one account's poll run did.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PollResult {
    pub account_id: i64,
    pub provider: String,
    pub requests: u64,
    pub windows_ok: u64,
    pub windows_failed: u64,
    pub usage_rows: u64,
    pub cost_rows: u64,
    pub stopped: Option<String>,
}

impl From<tallyvault::providers::poll::PollReport> for PollResult {
    fn from(r: tallyvault::providers::poll::PollReport) -> Self {
        PollResult {
            account_id: r.account_id,
            provider: r.provider,
            requests: r.requests,
            windows_ok: r.windows_ok,
            windows_failed: r.windows_failed,
            usage_rows: r.usage_rows,
            cost_rows: r.cost_rows,
            stopped: r.stopped,
        }
    }
}

/// Emitted as `usage-changed` when new usage was stored (a scan, the watcher, a poll), so pages reload.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UsageChangedEvent {
    /// `scan`, `watch` or `poll`.
    pub reason: String,
    pub records_written: u32,
    pub new_alerts: Vec<Alert>,
}

impl Dashboard {
    /// The core's dashboard with its chart drawn as SVG in `theme`'s colours.
    pub fn new(
        d: tallyvault::dashboard::Dashboard,
        theme: tallyvault::chart::Theme,
        size: (u32, u32),
    ) -> super::CommandResult<Dashboard> {
        let svg = tallyvault::chart::render_svg(&d.chart, theme, size)?;
        let chart = Chart {
            svg,
            title: d.chart.title(),
            description: d.chart.description(),
            series: d
                .chart
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| ChartSeries {
                    name: s.name.clone(),
                    colour: tallyvault::chart::series_colour(theme, i, &s.name),
                    total: s.total.into(),
                })
                .collect(),
            from: d
                .chart
                .dates
                .first()
                .map(|x| x.to_string())
                .unwrap_or_default(),
            to: d
                .chart
                .dates
                .last()
                .map(|x| x.to_string())
                .unwrap_or_default(),
        };
        Ok(Dashboard {
            timezone: d.timezone,
            today: d.today.into(),
            week: d.week.into(),
            month: d.month.into(),
            forecast: d.forecast.into(),
            budgets: d.budgets.into_iter().map(BudgetProgress::from).collect(),
            alerts: d.alerts.into_iter().map(Alert::from).collect(),
            chart,
        })
    }
}

impl BudgetInput {
    /// The core's budget spec; every field is set (an edit replaces the whole budget).
    pub fn spec(&self) -> tallyvault::Result<budget::BudgetSpec> {
        let amount = Money::parse_dollars(&self.amount)
            .filter(|m| m.nanos() > 0)
            .ok_or_else(|| {
                tallyvault::Error::InvalidInput(format!(
                    "{:?} is not a positive dollar amount",
                    self.amount
                ))
            })?;
        let text = |v: &Option<String>| Some(v.clone().unwrap_or_default());
        Ok(budget::BudgetSpec {
            name: Some(self.name.clone()).filter(|n| !n.trim().is_empty()),
            amount: Some(amount),
            period: Some(budget::PeriodKind::parse(&self.period)?),
            cycle_day: Some(self.cycle_day.unwrap_or(1)),
            scope: budget::Scope {
                provider: text(&self.scope.provider),
                model: text(&self.scope.model),
                project: text(&self.scope.project),
                source: text(&self.scope.source),
            },
            thresholds: Some(if self.thresholds.trim().is_empty() {
                budget::DEFAULT_THRESHOLDS.to_vec()
            } else {
                budget::parse_thresholds(&self.thresholds)?
            }),
            forecast_alert: Some(self.forecast_alert),
        })
    }
}
