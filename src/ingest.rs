//! New usage in, alerts out: a scan of the local agent logs followed by the alert engine, as "Scan now" and the
//! file watcher of the desktop app do (the CLI's `scan` adds its webhook delivery on top). Time is passed in.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::budget::{self, Alert};
use crate::error::Result;
use crate::pricing::PriceTable;
use crate::report;
use crate::sources::{self, Quiet, ScanRequest, ScanSummary};
use crate::store::Store;

#[derive(Debug, Clone, Serialize)]
pub struct ScanOutcome {
    pub summary: ScanSummary,
    /// Alerts this scan's usage raised (each is raised once, ever).
    pub raised: Vec<Alert>,
}

/// Scans what `request` covers, then evaluates every budget and recent anomalies at `now` in the user's zone.
pub fn scan_and_evaluate(
    store: &Store,
    request: &ScanRequest,
    now: DateTime<Utc>,
) -> Result<ScanOutcome> {
    let prices = PriceTable::load(store)?;
    let summary = sources::scan(store, &prices, request, &Quiet)?;
    let tz = report::configured_timezone(store)?;
    let raised = budget::evaluate(store, now, tz)?;
    Ok(ScanOutcome { summary, raised })
}
