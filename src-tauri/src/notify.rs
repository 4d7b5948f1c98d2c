//! Telling the UI (and, for alerts, the desktop) that usage changed: the `usage-changed` event, which the pages
//! listen to so the dashboard updates live.

use chrono::Utc;
use tallyvault::budget;
use tallyvault::providers::poll::PollReport;
use tauri::{Emitter, Runtime};

use crate::dto::{Alert, ScanResult, UsageChangedEvent};
use crate::state::AppState;

/// The event the UI hears when new usage was stored.
pub const USAGE_CHANGED_EVENT: &str = "usage-changed";

fn emit<R: Runtime>(app: &tauri::AppHandle<R>, event: UsageChangedEvent) {
    // Nobody listening (no window yet) is not an error.
    let _ = app.emit(USAGE_CHANGED_EVENT, event);
}

/// After a scan: the UI reloads; new alerts are announced.
pub fn usage_changed<R: Runtime>(app: &tauri::AppHandle<R>, reason: &str, result: &ScanResult) {
    if result.records_written == 0 && result.new_alerts.is_empty() {
        return;
    }
    emit(
        app,
        UsageChangedEvent {
            reason: reason.into(),
            records_written: result.records_written,
            new_alerts: result.new_alerts.clone(),
        },
    );
}

/// Alerts raised outside a scan (a budget was added or changed).
pub fn alerts_raised<R: Runtime>(app: &tauri::AppHandle<R>, raised: &[budget::Alert]) {
    if raised.is_empty() {
        return;
    }
    emit(
        app,
        UsageChangedEvent {
            reason: "budget".into(),
            records_written: 0,
            new_alerts: raised.iter().cloned().map(Alert::from).collect(),
        },
    );
}

/// After a poll: budgets are evaluated over the new usage, and the UI reloads.
pub fn polled<R: Runtime>(app: &tauri::AppHandle<R>, state: &AppState, reports: &[PollReport]) {
    let rows: u64 = reports.iter().map(|r| r.usage_rows + r.cost_rows).sum();
    if rows == 0 {
        return;
    }
    let raised = state
        .store()
        .ok()
        .zip(state.timezone().ok())
        .and_then(|(store, tz)| budget::evaluate(&store, Utc::now(), tz).ok())
        .unwrap_or_default();
    emit(
        app,
        UsageChangedEvent {
            reason: "poll".into(),
            records_written: u32::try_from(rows).unwrap_or(u32::MAX),
            new_alerts: raised.into_iter().map(Alert::from).collect(),
        },
    );
}
