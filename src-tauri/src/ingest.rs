//! The desktop's record of new usage coming in: scans (manual, watched, at start) run one at a time, and the
//! last scan's and poll's outcome is kept for the providers and sources page. The work itself is the core's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use chrono::Utc;
use tallyvault::sources::ScanRequest;
use tallyvault::store::Store;

use crate::dto::{CommandResult, ScanResult};

#[derive(Default)]
pub struct IngestState {
    scan_lock: Mutex<()>,
    last_scan: Mutex<Option<ScanResult>>,
    last_scan_error: Mutex<Option<String>>,
    last_poll_at: Mutex<Option<String>>,
    last_poll_error: Mutex<Option<String>>,
    watching: AtomicBool,
}

fn set<T>(slot: &Mutex<T>, value: T) {
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = value;
}

fn get<T: Clone>(slot: &Mutex<T>) -> T {
    slot.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

impl IngestState {
    /// Scans the local logs `request` covers and evaluates the alerts; one scan at a time.
    pub fn scan(&self, store: &Store, request: &ScanRequest) -> CommandResult<ScanResult> {
        let _one_at_a_time = self.scan_lock.lock().unwrap_or_else(|p| p.into_inner());
        match tallyvault::ingest::scan_and_evaluate(store, request, Utc::now()) {
            Ok(outcome) => {
                let result = ScanResult::new(outcome, tallyvault::audit::format_time(Utc::now()));
                set(&self.last_scan, Some(result.clone()));
                set(&self.last_scan_error, None);
                Ok(result)
            }
            Err(e) => {
                set(&self.last_scan_error, Some(e.to_string()));
                Err(e.into())
            }
        }
    }

    pub fn last_scan(&self) -> (Option<ScanResult>, Option<String>) {
        (get(&self.last_scan), get(&self.last_scan_error))
    }

    pub fn record_poll(&self, error: Option<String>) {
        set(
            &self.last_poll_at,
            Some(tallyvault::audit::format_time(Utc::now())),
        );
        set(&self.last_poll_error, error);
    }

    pub fn last_poll(&self) -> (Option<String>, Option<String>) {
        (get(&self.last_poll_at), get(&self.last_poll_error))
    }

    pub fn set_watching(&self, on: bool) {
        self.watching.store(on, Ordering::Relaxed);
    }

    pub fn watching(&self) -> bool {
        self.watching.load(Ordering::Relaxed)
    }
}
