//! The shell's state, managed once by Tauri: the data directory, the store, the unlocked vault (if any), the
//! user's last activity (for auto-lock) and the clipboard guard.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tallyvault::clock::SystemClock;
use tallyvault::crypto::KdfPolicy;
use tallyvault::sources::ScanRequest;
use tallyvault::store::{Pooling, Store};
use tallyvault::vault::{self, Vault};

use crate::clipboard::ClipboardGuard;
use crate::dto::{CommandError, CommandResult};
use crate::ingest::IngestState;

/// The settings key for the auto-lock delay, in minutes.
pub const AUTO_LOCK_SETTING: &str = "auto_lock_minutes";
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;
pub const MAX_AUTO_LOCK_MINUTES: u32 = 24 * 60;

pub struct AppState {
    pub data_dir: PathBuf,
    pub policy: KdfPolicy,
    pub clipboard: Arc<ClipboardGuard>,
    /// Scans and polls: their serialisation and last outcomes.
    pub ingest: IngestState,
    /// What "Scan now" and the watcher read: the agents' default folders (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`).
    pub scan_request: ScanRequest,
    store: Mutex<Option<Store>>,
    vault: RwLock<Option<Arc<Vault>>>,
    last_activity: Mutex<Instant>,
}

impl AppState {
    pub fn new(data_dir: PathBuf, policy: KdfPolicy, clipboard: ClipboardGuard) -> AppState {
        AppState {
            data_dir,
            policy,
            clipboard: Arc::new(clipboard),
            ingest: IngestState::default(),
            scan_request: ScanRequest::default(),
            store: Mutex::new(None),
            vault: RwLock::new(None),
            last_activity: Mutex::new(Instant::now()),
        }
    }

    /// The store, opened (and migrated) on first use, so a damaged database reaches the UI as an error. Its
    /// connections are opened on demand and closed when idle (issue 6: idle memory).
    pub fn store(&self) -> CommandResult<Store> {
        let mut guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = guard.as_ref() {
            return Ok(store.clone());
        }
        let store = Store::open_with(&self.data_dir, Pooling::OnDemand)?;
        *guard = Some(store.clone());
        Ok(store)
    }

    /// The store if it is open already (never opens it).
    pub fn opened_store(&self) -> Option<Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The unlocked vault; using it counts as activity.
    pub fn vault(&self) -> CommandResult<Arc<Vault>> {
        let vault = self.background_vault()?;
        self.note_activity();
        Ok(vault)
    }

    /// The unlocked vault for background work (the poll scheduler), which must not postpone auto-lock.
    pub fn background_vault(&self) -> CommandResult<Arc<Vault>> {
        let guard = self.vault.read().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some(vault) if vault.is_unlocked() => Ok(vault.clone()),
            _ => Err(tallyvault::Error::Locked.into()),
        }
    }

    pub fn is_unlocked(&self) -> bool {
        let guard = self.vault.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().is_some_and(|v| v.is_unlocked())
    }

    pub fn set_unlocked(&self, vault: Vault) {
        self.note_activity();
        *self.vault.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(vault));
    }

    /// The zone spend is reported in: the `timezone` setting, else the system's.
    pub fn timezone(&self) -> CommandResult<chrono_tz::Tz> {
        Ok(tallyvault::report::configured_timezone(&self.store()?)?)
    }

    pub fn clock() -> Arc<SystemClock> {
        Arc::new(SystemClock)
    }

    /// Locks the vault (audited) and takes a copied secret off the clipboard. Locking a locked vault is a
    /// no-op.
    pub fn lock(&self) -> CommandResult<()> {
        self.clipboard.clear_now();
        let vault = self.vault.write().unwrap_or_else(|p| p.into_inner()).take();
        match vault {
            Some(vault) if vault.is_unlocked() => Ok(vault.lock()?),
            _ => Ok(()),
        }
    }

    pub fn note_activity(&self) {
        *self.last_activity.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    pub fn idle_for(&self) -> Duration {
        self.last_activity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    pub fn auto_lock_minutes(&self) -> CommandResult<u32> {
        let stored = vault::setting(&self.store()?, AUTO_LOCK_SETTING)?;
        Ok(stored
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|m| (1..=MAX_AUTO_LOCK_MINUTES).contains(m))
            .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES))
    }

    /// Locks when the user has been idle for the auto-lock delay. Returns whether it locked.
    pub fn lock_if_idle(&self) -> CommandResult<bool> {
        if !self.is_unlocked() {
            return Ok(false);
        }
        let limit = Duration::from_secs(u64::from(self.auto_lock_minutes()?) * 60);
        self.lock_if_idle_for(limit)
    }

    /// Locks when the user has been idle for `limit`. Returns whether it locked.
    pub fn lock_if_idle_for(&self, limit: Duration) -> CommandResult<bool> {
        if !self.is_unlocked() || self.idle_for() < limit {
            return Ok(false);
        }
        self.lock()?;
        Ok(true)
    }
}

/// Where the vault lives: `TALLYVAULT_HOME` if set, else the core's platform default.
pub fn data_dir_from_env() -> CommandResult<PathBuf> {
    match std::env::var_os("TALLYVAULT_HOME") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => tallyvault::store::default_data_dir().map_err(CommandError::from),
    }
}
