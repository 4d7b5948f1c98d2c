//! The tray icon: its menu shows today's and this month's spend (refreshed whenever usage changes) and offers
//! open, lock, poll now and quit. A desktop without a tray (no status notifier host) just has no icon.

use chrono::Utc;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{Emitter, Manager, Runtime};

use crate::dto::VaultLockedEvent;
use crate::state::AppState;

const OPEN: &str = "tray-open";
const LOCK: &str = "tray-lock";
const POLL: &str = "tray-poll";
const QUIT: &str = "tray-quit";

/// The menu's two spend lines, kept to be refreshed.
pub struct TrayMenu<R: Runtime> {
    today: MenuItem<R>,
    month: MenuItem<R>,
}

/// "Today: $3.75" and "This month: $16.82" in the user's zone, or why they cannot be told.
pub fn spend_lines(state: &AppState) -> (String, String) {
    let totals = state.store().and_then(|store| {
        let tz = state.timezone()?;
        Ok(tallyvault::dashboard::today_and_month(
            &store,
            &tz,
            Utc::now(),
        )?)
    });
    match totals {
        Ok((today, month)) => (
            format!("Today: {}", today.cost),
            format!("This month: {}", month.cost),
        ),
        Err(_) => (
            "Today: unavailable".into(),
            "This month: unavailable".into(),
        ),
    }
}

/// Builds the tray icon and its menu. Errors (no tray on this desktop) are for the caller to log.
pub fn create<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<()> {
    let (today_text, month_text) = spend_lines(&app.state::<AppState>());
    let today = MenuItem::with_id(app, "tray-today", today_text, false, None::<&str>)?;
    let month = MenuItem::with_id(app, "tray-month", month_text, false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &today,
            &month,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, OPEN, "Open Tallyvault", true, None::<&str>)?,
            &MenuItem::with_id(app, LOCK, "Lock", true, None::<&str>)?,
            &MenuItem::with_id(app, POLL, "Poll now", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, QUIT, "Quit", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("main")
        .tooltip("Tallyvault")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayMenu { today, month });
    Ok(())
}

fn on_menu<R: Runtime>(app: &tauri::AppHandle<R>, id: &str) {
    match id {
        OPEN => crate::focus_main_window(app),
        LOCK if app.state::<AppState>().lock().is_ok() => {
            let _ = app.emit(
                crate::VAULT_LOCKED_EVENT,
                VaultLockedEvent {
                    reason: "tray".into(),
                },
            );
        }
        POLL => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                crate::background::poll_all_now(&app).await;
            });
        }
        QUIT => app.exit(0),
        _ => {}
    }
}

/// Refreshes the spend lines (after a scan, a poll, or a budget change).
pub fn refresh<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(menu) = app.try_state::<TrayMenu<R>>() {
        let (today, month) = spend_lines(&app.state::<AppState>());
        let _ = menu.today.set_text(today);
        let _ = menu.month.set_text(month);
    }
}
