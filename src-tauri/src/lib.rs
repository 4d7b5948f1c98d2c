//! Tallyvault's desktop shell: Tauri commands over the `tallyvault` core, a web UI in `ui/`, and the
//! background work a desktop app owns (auto-lock, clearing the clipboard). It holds no business logic: every
//! command calls the core. It must never be needed by the core, which stays free of Tauri.

pub mod background;
pub mod bindings;
pub mod clipboard;
pub mod commands;
pub mod dto;
pub mod ingest;
pub mod memory;
pub mod notify;
pub mod state;
pub mod tray;
pub mod validate;

#[cfg(test)]
mod ipc_acl_tests;
#[cfg(test)]
mod ipc_spend_tests;
#[cfg(test)]
mod ipc_tests;
#[cfg(test)]
mod ipc_validate_tests;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tallyvault::crypto::KdfPolicy;
use tauri::{Emitter, Manager, RunEvent, Runtime};

use crate::clipboard::{ClipboardGuard, SystemClipboard, CLEAR_AFTER};
use crate::dto::VaultLockedEvent;
use crate::state::AppState;

/// The event the UI hears when the shell locks the vault by itself.
pub const VAULT_LOCKED_EVENT: &str = "vault-locked";

/// How often the auto-lock timer looks at the idle time.
const IDLE_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Registers the state and every command. Shared by the app and the command tests (which use a mock runtime).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    use commands::{audit, budgets, credentials, providers, settings, spend, vault};
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            vault::vault_status,
            vault::create_vault,
            vault::unlock_vault,
            vault::lock_vault,
            vault::note_activity,
            credentials::list_credentials,
            credentials::list_providers,
            credentials::detect_provider,
            credentials::add_credential,
            credentials::reveal_secret,
            credentials::copy_secret,
            credentials::rotate_secret,
            credentials::delete_credential,
            credentials::import_env,
            audit::audit_events,
            audit::verify_audit,
            settings::get_settings,
            settings::set_auto_lock_minutes,
            settings::export_backup,
            spend::dashboard,
            spend::export_chart_png,
            spend::usage_page,
            spend::usage_facets,
            spend::export_usage_csv,
            spend::scan_now,
            spend::suggested_export_path,
            budgets::list_budgets,
            budgets::add_budget,
            budgets::edit_budget,
            budgets::delete_budget,
            budgets::list_alerts,
            budgets::acknowledge_alert,
            providers::sources_overview,
            providers::poll_now,
        ])
}

/// Locks the vault when the user has been idle for the configured time, and tells the UI.
fn spawn_auto_lock<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(IDLE_CHECK_EVERY).await;
            let state = app.state::<AppState>();
            if let Ok(true) = state.lock_if_idle() {
                let _ = app.emit(
                    VAULT_LOCKED_EVENT,
                    VaultLockedEvent {
                        reason: "idle".into(),
                    },
                );
            }
        }
    });
}

pub(crate) fn focus_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Runs the desktop app until the user quits.
pub fn run() -> ExitCode {
    memory::set_webkit_env();
    let data_dir = match state::data_dir_from_env() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("tallyvault: {}", e.message);
            return ExitCode::FAILURE;
        }
    };
    let clipboard = ClipboardGuard::new(Arc::new(SystemClipboard::default()), CLEAR_AFTER);
    let state = AppState::new(data_dir, KdfPolicy::default(), clipboard);
    let builder = tauri::Builder::default()
        // First, so a second launch only focuses the running window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            focus_main_window(app)
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            #[cfg(target_os = "linux")]
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.with_webview(|webview| memory::tune_webview(&webview.inner()));
            }
            spawn_auto_lock(app.handle().clone());
            let handle = app.handle().clone();
            memory::spawn_trimmer(move || {
                if let Some(store) = handle.state::<AppState>().opened_store() {
                    store.close_idle_connections();
                }
            });
            background::spawn_watcher(app.handle().clone());
            background::spawn_poll_scheduler(app.handle().clone());
            // A desktop without a tray (no status notifier host) still has the window.
            if let Err(e) = tray::create(app.handle()) {
                eprintln!("tallyvault: no tray icon: {e}");
            }
            Ok(())
        });
    let app = match with_commands(builder, state).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("tallyvault: cannot start the desktop app: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Quitting locks the vault (audited) and takes a copied secret off the clipboard.
            let _ = app.state::<AppState>().lock();
        }
    });
    ExitCode::SUCCESS
}
