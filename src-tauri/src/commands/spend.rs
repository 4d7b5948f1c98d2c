//! Spend: the dashboard, its chart, the usage explorer and its exports, and "Scan now". None of these needs
//! the vault unlocked: usage is not secret.

use chrono::Utc;
use tallyvault::chart::{self, Breakdown, Theme};
use tallyvault::dashboard::{self, DashboardQuery};
use tallyvault::report::explore::{self, ExploreQuery, SortKey};
use tauri::{AppHandle, Runtime, State};

use crate::dto::{
    ChartExport, CommandError, CommandResult, Dashboard, DashboardRequest, ExportOutcome,
    ScanResult, UsageFacets, UsagePage, UsageQuery,
};
use crate::notify;
use crate::state::AppState;
use crate::validate::{self, new_file_path};

/// The dashboard chart's drawing size (the SVG scales to its box), and the exported PNG's.
pub const CHART_SIZE: (u32, u32) = (960, 340);
pub const PNG_SIZE: (u32, u32) = (1400, 520);

fn dashboard_query(state: &AppState, days: u32, breakdown: &str) -> CommandResult<DashboardQuery> {
    validate::name("breakdown", breakdown)?;
    Ok(DashboardQuery {
        now: Utc::now(),
        timezone: state.timezone()?,
        chart_days: validate::chart_days(days)?,
        breakdown: Breakdown::parse(breakdown)?,
    })
}

#[tauri::command(async)]
pub fn dashboard(
    state: State<'_, AppState>,
    request: DashboardRequest,
) -> CommandResult<Dashboard> {
    validate::name("theme", &request.theme)?;
    let query = dashboard_query(&state, request.chart_days, &request.breakdown)?;
    let loaded = dashboard::load(&state.store()?, &query)?;
    Dashboard::new(loaded, Theme::parse(&request.theme)?, CHART_SIZE)
}

fn write_new(path: &std::path::Path, bytes: &[u8]) -> CommandResult<u64> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            CommandError::invalid_input(format!("cannot create {}: {e}", path.display()))
        })?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(|e| CommandError::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(bytes.len() as u64)
}

/// Writes the dashboard's chart as a PNG file.
#[tauri::command(async)]
pub fn export_chart_png(
    state: State<'_, AppState>,
    export: ChartExport,
) -> CommandResult<ExportOutcome> {
    validate::name("theme", &export.theme)?;
    let path = new_file_path(&export.path)?;
    let query = dashboard_query(&state, export.chart_days, &export.breakdown)?;
    let (from, to) = chart::last_days(
        tallyvault::budget::period::local_date(&query.timezone, query.now),
        query.chart_days,
    );
    let data = dashboard::daily_spend(&state.store()?, &query.timezone, from, to, query.breakdown)?;
    let png = chart::render_png(&data, Theme::parse(&export.theme)?, PNG_SIZE)?;
    Ok(ExportOutcome {
        path: path.display().to_string(),
        bytes: write_new(&path, &png)?,
        rows: None,
    })
}

fn explore_query(state: &AppState, query: &UsageQuery) -> CommandResult<ExploreQuery> {
    let (since, until) = validate::usage_query(query)?;
    let mut q = ExploreQuery::new(state.timezone()?);
    q.since = since;
    q.until = until;
    q.sources = query.sources.clone();
    q.providers = query.providers.clone();
    q.models = query.models.clone();
    q.projects = query.projects.clone();
    q.per_day = query.per_day;
    q.sort = SortKey::parse(&query.sort)?;
    q.descending = query.descending;
    q.offset = query.offset as usize;
    q.limit = query.limit as usize;
    Ok(q)
}

#[tauri::command(async)]
pub fn usage_page(state: State<'_, AppState>, query: UsageQuery) -> CommandResult<UsagePage> {
    let q = explore_query(&state, &query)?;
    let page = explore::explore(&state.store()?, &q)?;
    Ok(UsagePage::new(page, q.timezone.name().to_string()))
}

/// The sources, providers, models and projects with usage in the query's dates.
#[tauri::command(async)]
pub fn usage_facets(state: State<'_, AppState>, query: UsageQuery) -> CommandResult<UsageFacets> {
    let q = explore_query(&state, &query)?;
    Ok(explore::facets(&state.store()?, &q)?.into())
}

/// Writes every row matching the query (not only the page shown) as CSV.
#[tauri::command(async)]
pub fn export_usage_csv(
    state: State<'_, AppState>,
    query: UsageQuery,
    path: String,
) -> CommandResult<ExportOutcome> {
    let path = new_file_path(&path)?;
    let q = explore_query(&state, &query)?;
    let mut text = Vec::new();
    let rows = explore::write_csv(&state.store()?, &q, &mut text)?;
    Ok(ExportOutcome {
        path: path.display().to_string(),
        bytes: write_new(&path, &text)?,
        rows: Some(u32::try_from(rows).unwrap_or(u32::MAX)),
    })
}

/// Reads new lines of the local agent logs, evaluates budgets, and tells the UI (and the desktop, for new
/// alerts).
#[tauri::command(async)]
pub fn scan_now<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<ScanResult> {
    let result = state.ingest.scan(&state.store()?, &state.scan_request)?;
    notify::usage_changed(&app, "scan", &result);
    Ok(result)
}

/// Suggested file names for exports, in the user's home directory.
#[tauri::command(async)]
pub fn suggested_export_path(kind: String) -> CommandResult<String> {
    validate::name("kind", &kind)?;
    let extension = match kind.as_str() {
        "csv" => "csv",
        "png" => "png",
        other => {
            return Err(CommandError::invalid_input(format!(
                "unknown export kind {other:?}"
            )))
        }
    };
    let dir = directories::UserDirs::new()
        .map(|d| {
            d.download_dir()
                .map(|p| p.to_path_buf())
                .unwrap_or_else(|| d.home_dir().to_path_buf())
        })
        .unwrap_or_default();
    let stamp = chrono::Local::now().format("%Y-%m-%d-%H%M%S");
    let name = match extension {
        "csv" => format!("tallyvault-usage-{stamp}.csv"),
        _ => format!("tallyvault-spend-{stamp}.png"),
    };
    Ok(dir.join(name).display().to_string())
}
