//! Telling the UI, the tray and the desktop that usage changed: the `usage-changed` event (pages reload, so the
//! dashboard updates live), the tray's spend lines, and a desktop notification per new budget or anomaly alert
//! (each alert is raised once, ever, so it is announced once).

use chrono::Utc;
use tallyvault::budget;
use tallyvault::providers::poll::PollReport;
use tauri::{Emitter, Manager, Runtime};

use crate::dto::{Alert, ScanResult, UsageChangedEvent};
use crate::state::AppState;

/// The event the UI hears when new usage was stored.
pub const USAGE_CHANGED_EVENT: &str = "usage-changed";

/// At most this many alerts get a notification of their own; more are summed up in one.
const MAX_NOTIFICATIONS: usize = 3;

fn announce<R: Runtime>(app: &tauri::AppHandle<R>, event: UsageChangedEvent) {
    desktop_notifications(app, &event.new_alerts);
    crate::tray::refresh(app);
    // Nobody listening (no window yet) is not an error.
    let _ = app.emit(USAGE_CHANGED_EVENT, event);
}

/// The title of an alert's notification.
pub fn notification_title(alert: &Alert) -> String {
    match (alert.kind.as_str(), &alert.budget_name) {
        ("anomaly", _) => "Tallyvault: unusual spend".into(),
        ("forecast", Some(name)) => format!("Tallyvault: budget \"{name}\" projected over"),
        (_, Some(name)) => match alert.threshold {
            Some(t) => format!("Tallyvault: budget \"{name}\" at {t}%"),
            None => format!("Tallyvault: budget \"{name}\""),
        },
        _ => "Tallyvault alert".into(),
    }
}

fn desktop_notifications<R: Runtime>(app: &tauri::AppHandle<R>, alerts: &[Alert]) {
    use tauri_plugin_notification::NotificationExt;
    // Without the plugin (tests, a build without notifications) there is nothing to show.
    if alerts.is_empty()
        || app
            .try_state::<tauri_plugin_notification::Notification<R>>()
            .is_none()
    {
        return;
    }
    for alert in alerts.iter().take(MAX_NOTIFICATIONS) {
        // A desktop without a notification service refuses: the alert is still on the dashboard.
        let _ = app
            .notification()
            .builder()
            .title(notification_title(alert))
            .body(&alert.message)
            .show();
    }
    if alerts.len() > MAX_NOTIFICATIONS {
        let _ = app
            .notification()
            .builder()
            .title("Tallyvault")
            .body(format!(
                "{} more alerts: see Budgets and alerts",
                alerts.len() - MAX_NOTIFICATIONS
            ))
            .show();
    }
}

/// After a scan: the UI reloads; new alerts are announced.
pub fn usage_changed<R: Runtime>(app: &tauri::AppHandle<R>, reason: &str, result: &ScanResult) {
    if result.records_written == 0 && result.new_alerts.is_empty() {
        return;
    }
    announce(
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
    announce(
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
    announce(
        app,
        UsageChangedEvent {
            reason: "poll".into(),
            records_written: u32::try_from(rows).unwrap_or(u32::MAX),
            new_alerts: raised.into_iter().map(Alert::from).collect(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: &str, threshold: Option<u32>) -> Alert {
        Alert {
            id: 1,
            kind: kind.into(),
            state: "open".into(),
            budget_id: Some(1),
            budget_name: Some("March".into()),
            threshold,
            message: "m".into(),
            created_at: "2026-03-18T14:00:00Z".into(),
        }
    }

    #[test]
    fn notification_titles_say_which_budget_and_how_far() {
        assert_eq!(
            notification_title(&alert("threshold", Some(80))),
            "Tallyvault: budget \"March\" at 80%"
        );
        assert_eq!(
            notification_title(&alert("forecast", None)),
            "Tallyvault: budget \"March\" projected over"
        );
        assert_eq!(
            notification_title(&alert("anomaly", None)),
            "Tallyvault: unusual spend"
        );
    }
}
