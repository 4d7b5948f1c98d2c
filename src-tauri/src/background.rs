//! Background work the desktop owns: a scan at start, a watcher on the agents' log folders that scans new lines
//! as they are written (the dashboard updates live), and the provider poll scheduler. Each calls the core; each
//! failure is recorded for the providers and sources page, never a crash.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tallyvault::providers::accounts;
use tallyvault::providers::poll::Plan;
use tallyvault::providers::schedule;
use tauri::{Manager, Runtime};

use tallyvault::providers::poll::PollReport;
use tallyvault::vault::Vault;

use crate::dto::CommandResult;
use crate::notify as announce;
use crate::state::AppState;

/// Writes come in bursts (a streamed reply is many lines): wait for this much quiet before scanning.
const SETTLE: Duration = Duration::from_millis(750);
/// How often the scheduler looks for accounts that are due.
const SCHEDULER_TICK: Duration = Duration::from_secs(30);

/// The folders the scan request reads that exist now.
fn watched_folders(state: &AppState) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = match &state.scan_request.roots {
        Some(roots) => roots.clone(),
        None => state
            .scan_request
            .sources
            .iter()
            .flat_map(|kind| tallyvault::sources::status::default_folders(*kind))
            .collect(),
    };
    folders.retain(|f| f.is_dir());
    folders.sort();
    folders.dedup();
    folders
}

fn is_log_event(event: &notify::Event) -> bool {
    use notify::EventKind;
    matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any
    ) && event
        .paths
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "jsonl"))
}

/// Scans once at start, then whenever a `.jsonl` file under the agents' folders changes. Runs on its own
/// thread (file events and SQLite both block); ends when the app does.
pub fn spawn_watcher<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        scan(&app, &state, "start");
        let (sender, events) = mpsc::channel::<notify::Result<notify::Event>>();
        let mut watcher = match notify::recommended_watcher(sender) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("tallyvault: cannot watch the agent log folders: {e}");
                return;
            }
        };
        let mut watching = 0;
        for folder in watched_folders(&state) {
            match watcher.watch(&folder, RecursiveMode::Recursive) {
                Ok(()) => watching += 1,
                Err(e) => eprintln!("tallyvault: cannot watch {}: {e}", folder.display()),
            }
        }
        state.ingest.set_watching(watching > 0);
        while let Ok(first) = events.recv() {
            if !first.as_ref().is_ok_and(is_log_event) {
                continue;
            }
            // Drain the burst, then scan once.
            let mut quiet_since = Instant::now();
            while quiet_since.elapsed() < SETTLE {
                if events.recv_timeout(SETTLE).is_ok() {
                    quiet_since = Instant::now();
                }
            }
            scan(&app, &state, "watch");
        }
        state.ingest.set_watching(false);
    });
}

fn scan<R: Runtime>(app: &tauri::AppHandle<R>, state: &AppState, reason: &str) {
    let result = state
        .store()
        .and_then(|store| state.ingest.scan(&store, &state.scan_request));
    if let Ok(result) = result {
        announce::usage_changed(app, reason, &result);
    }
}

/// Polls each provider account on its own interval (±10% jitter) while the vault is unlocked: polling reads
/// the accounts' keys, which a locked vault does not have.
pub fn spawn_poll_scheduler<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut next_due: HashMap<i64, Instant> = HashMap::new();
        loop {
            tokio::time::sleep(SCHEDULER_TICK).await;
            let state = app.state::<AppState>();
            if !state.is_unlocked() {
                continue;
            }
            if let Err(message) = poll_due(&app, &state, &mut next_due).await {
                state.ingest.record_poll(Some(message));
            }
        }
    });
}

async fn poll_due<R: Runtime>(
    app: &tauri::AppHandle<R>,
    state: &AppState,
    next_due: &mut HashMap<i64, Instant>,
) -> Result<(), String> {
    let store = state.store().map_err(|e| e.message)?;
    let now = Instant::now();
    let due: Vec<accounts::Account> = accounts::list(&store)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|a| next_due.get(&a.id).is_none_or(|at| *at <= now))
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    for a in &due {
        let interval = Duration::from_secs(a.interval_secs.max(60) as u64);
        next_due.insert(a.id, now + schedule::next_delay(interval));
    }
    let vault = state.background_vault().map_err(|e| e.message)?;
    poll(app, state, &vault, &due)
        .await
        .map_err(|e| e.message)?;
    Ok(())
}

/// One poll run of `list` with the vault's keys; the outcome is recorded and announced.
pub async fn poll<R: Runtime>(
    app: &tauri::AppHandle<R>,
    state: &AppState,
    vault: &Vault,
    list: &[accounts::Account],
) -> CommandResult<Vec<PollReport>> {
    let poller = tallyvault::providers::run::network_poller(&state.store()?)?;
    let outcome =
        tallyvault::providers::run::poll_accounts(vault, &poller, list, |_| Plan::Scheduled).await;
    state
        .ingest
        .record_poll(outcome.as_ref().err().map(ToString::to_string));
    let reports = outcome?;
    announce::polled(app, state, &reports);
    Ok(reports)
}

/// "Poll now" from the tray: every account, if the vault is unlocked (else nothing: the keys are locked).
pub async fn poll_all_now<R: Runtime>(app: &tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let Ok(vault) = state.background_vault() else {
        return;
    };
    let Ok(list) = state.store().and_then(|s| Ok(accounts::list(&s)?)) else {
        return;
    };
    let _ = poll(app, &state, &vault, &list).await;
}
