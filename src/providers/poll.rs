//! One poll run of one account: plan the windows (a first backfill, else a trailing window for late data,
//! plus the queued windows that are due), fetch each through all its pages, and commit each window in one
//! transaction that **replaces** what was stored for that window. A window that fails (after retries) is
//! not committed at all and goes to the retry queue.
//!
//! Time comes from tokio's clock (anchored to a wall-clock instant given at construction), so tests run with
//! a paused clock.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::params;
use serde::Serialize;
use zeroize::Zeroizing;

use super::accounts::{self, Account, Failure, RunState};
use super::http::{get_with_retry, scrub, FetchError, Headers, RetryPolicy, Transport};
use super::{Endpoint, EndpointKind, Page, ProviderApi, Window, DAY_SECS};
use crate::crypto::SecretString;
use crate::error::Result;
use crate::pricing::PriceTable;
use crate::store::Store;
use crate::usage::{self, record_id, CostOrigin, UsageRecord};

#[derive(Debug, Clone, Copy)]
pub struct PollPolicy {
    pub retry: RetryPolicy,
    /// Failed windows in a row that open the circuit.
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    /// How long a 429 without `Retry-After` keeps the account quiet.
    pub spend_cap_backoff: Duration,
    /// Later polls re-fetch this many days of usage before today, for late data.
    pub trailing_days: i64,
    /// ... and this many days of the bill (costs settle over a day or two).
    pub cost_trailing_days: i64,
    /// First delay of a queued window; doubles per attempt, capped at a day.
    pub queue_backoff: Duration,
    /// A window with more pages than this is refused (a cursor loop).
    pub max_pages: usize,
}

impl Default for PollPolicy {
    fn default() -> PollPolicy {
        PollPolicy {
            retry: RetryPolicy::default(),
            breaker_threshold: 3,
            breaker_cooldown: Duration::from_secs(300),
            spend_cap_backoff: Duration::from_secs(6 * 3600),
            trailing_days: 2,
            cost_trailing_days: 7,
            queue_backoff: Duration::from_secs(300),
            max_pages: 10_000,
        }
    }
}

/// Shared by every poll run.
pub struct Poller {
    pub store: Store,
    pub transport: Arc<dyn Transport>,
    pub prices: Arc<PriceTable>,
    pub policy: PollPolicy,
    origin_wall_ms: i64,
    origin: tokio::time::Instant,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    pub account_id: i64,
    pub provider: String,
    pub requests: u64,
    pub windows_ok: u64,
    pub windows_failed: u64,
    pub usage_rows: u64,
    pub cost_rows: u64,
    /// Set when the run stopped early: the key was refused, or the circuit is open.
    pub stopped: Option<String>,
}

/// Which windows a run fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Backfill on the first run, then the trailing window; queued windows that are due.
    Scheduled,
    /// From this Unix second (an explicit `--since`), plus due queued windows.
    Since(i64),
    /// Only the queued windows, due or not (`providers retry`).
    QueueOnly,
}

impl Poller {
    pub fn new(
        store: Store,
        transport: Arc<dyn Transport>,
        prices: Arc<PriceTable>,
        policy: PollPolicy,
        wall_now_ms: i64,
    ) -> Poller {
        Poller {
            store,
            transport,
            prices,
            policy,
            origin_wall_ms: wall_now_ms,
            origin: tokio::time::Instant::now(),
        }
    }

    /// Wall-clock now, Unix ms, advanced by tokio's clock.
    pub fn now_ms(&self) -> i64 {
        self.origin_wall_ms + self.origin.elapsed().as_millis() as i64
    }

    fn now_text(&self) -> String {
        chrono::DateTime::from_timestamp_millis(self.now_ms())
            .map(crate::audit::format_time)
            .unwrap_or_default()
    }

    fn queue_delay_ms(&self, attempts: i64) -> i64 {
        let base = self.policy.queue_backoff.as_millis() as i64;
        let shift = attempts.clamp(1, 20) - 1;
        base.saturating_mul(1i64 << shift).min(DAY_SECS * 1000)
    }

    /// Polls `account` with `secret` (read from the vault by the caller, once per run).
    pub async fn poll(
        &self,
        account: &Account,
        secret: &SecretString,
        plan: Plan,
    ) -> Result<PollReport> {
        let mut report = PollReport {
            account_id: account.id,
            provider: account.provider.clone(),
            ..PollReport::default()
        };
        let Some(api) = super::api(&account.provider) else {
            report.stopped = Some(format!("unknown provider {}", account.provider));
            return Ok(report);
        };
        if let Some(reason) = &account.credential_invalid {
            report.stopped = Some(format!("the key was refused: {reason}"));
            return Ok(report);
        }
        let headers: Headers = Arc::new(
            api.auth_headers(secret)
                .into_iter()
                .map(|(k, v)| (k, Zeroizing::new(v)))
                .collect(),
        );
        let base = match account.base_url.as_deref() {
            None => api.default_base_url().to_string(),
            // A row edited in the database must not send the key in the clear.
            Some(url) => match super::destination::check_base_url(url) {
                Ok(url) => url,
                Err(e) => {
                    report.stopped = Some(format!("not polled: {e}"));
                    return Ok(report);
                }
            },
        };
        let mut breaker = account.breaker(
            self.policy.breaker_threshold,
            self.policy.breaker_cooldown.as_millis() as i64,
        );
        let mut run = RunState::default();
        let work = self.plan(api, account, plan)?;
        let first_backfill_end = match plan {
            Plan::Scheduled if account.backfilled_until.is_none() => Some(self.today_end()),
            _ => None,
        };
        let mut auth_failed = false;
        tracing::info!(
            target: "tallyvault::providers",
            account = account.id,
            provider = %account.provider,
            windows = work.len(),
            "poll run"
        );
        for (endpoint, window) in work {
            if auth_failed {
                break;
            }
            if !breaker.allow(self.now_ms()) {
                // Not an attempt: the window waits for the circuit to close.
                let until = breaker.open_until_ms.unwrap_or_else(|| self.now_ms());
                accounts::enqueue_failure(
                    &self.store,
                    account.id,
                    &Failure {
                        endpoint: endpoint.name,
                        window,
                        error: &FetchError::CircuitOpen.to_string(),
                        counts_as_attempt: false,
                    },
                    |_| until,
                    &self.now_text(),
                )?;
                report.windows_failed += 1;
                report.stopped = Some(FetchError::CircuitOpen.to_string());
                continue;
            }
            let fetched = self
                .fetch_window(api, endpoint, window, &base, &headers, &mut report.requests)
                .await;
            match fetched {
                Ok(page) => {
                    report.usage_rows += page.usage.len() as u64;
                    report.cost_rows += page.costs.len() as u64;
                    tracing::debug!(
                        target: "tallyvault::providers",
                        account = account.id,
                        endpoint = %endpoint.name,
                        window_start = window.start,
                        usage_rows = page.usage.len(),
                        cost_rows = page.costs.len(),
                        "window stored"
                    );
                    self.commit(account, api, endpoint, window, page)?;
                    breaker.success();
                    report.windows_ok += 1;
                    run.success_at = Some(self.now_text());
                }
                Err(error) => {
                    report.windows_failed += 1;
                    let text = error.to_string();
                    tracing::warn!(
                        target: "tallyvault::providers",
                        account = account.id,
                        endpoint = %endpoint.name,
                        window_start = window.start,
                        error = %text,
                        "window failed, queued for retry"
                    );
                    run.error = Some((text.clone(), self.now_text()));
                    let now = self.now_ms();
                    match &error {
                        FetchError::Auth { .. } => {
                            accounts::mark_credential_invalid(
                                &self.store,
                                account.credential_id,
                                &text,
                            )?;
                            report.stopped = Some(format!("the key was refused: {text}"));
                            auth_failed = true;
                        }
                        FetchError::SpendCap { .. } => {
                            breaker.open_for(now, self.policy.spend_cap_backoff.as_millis() as i64);
                        }
                        _ => breaker.failure(now),
                    }
                    let spend_cap = matches!(error, FetchError::SpendCap { .. });
                    let cap_until = now + self.policy.spend_cap_backoff.as_millis() as i64;
                    accounts::enqueue_failure(
                        &self.store,
                        account.id,
                        &Failure {
                            endpoint: endpoint.name,
                            window,
                            error: &text,
                            counts_as_attempt: true,
                        },
                        |attempts| {
                            if spend_cap {
                                cap_until
                            } else {
                                now + self.queue_delay_ms(attempts)
                            }
                        },
                        &self.now_text(),
                    )?;
                }
            }
        }
        if !auth_failed {
            run.backfilled_until = first_backfill_end;
            if !api.balance_paths().is_empty() && breaker.allow(self.now_ms()) {
                self.fetch_balance(api, account, &base, &headers, &mut report.requests)
                    .await?;
            }
        }
        run.requests = report.requests as i64;
        tracing::info!(
            target: "tallyvault::providers",
            account = account.id,
            requests = report.requests,
            windows_ok = report.windows_ok,
            windows_failed = report.windows_failed,
            stopped = report.stopped.as_deref().unwrap_or(""),
            "poll run done"
        );
        accounts::save_run(&self.store, account.id, &breaker, &run)?;
        Ok(report)
    }

    /// Reads the balance endpoints into a new snapshot. A part that fails is noted, not retried: it is
    /// read again next run, and it neither trips the breaker nor stops the account (OpenRouter's
    /// `/credits` answers 403 to keys that are not management keys).
    async fn fetch_balance(
        &self,
        api: &dyn ProviderApi,
        account: &Account,
        base: &str,
        headers: &Headers,
        requests: &mut u64,
    ) -> Result<()> {
        let mut balance = super::Balance {
            fetched_at: self.now_text(),
            ..super::Balance::default()
        };
        let mut read_any = false;
        for path in api.balance_paths() {
            let url = format!("{base}{path}");
            let outcome = get_with_retry(
                &self.transport,
                &url,
                Vec::new(),
                headers,
                &self.policy.retry,
                requests,
            )
            .await
            .map_err(|e| e.to_string())
            .and_then(|body| api.parse_balance(path, &body, &mut balance));
            match outcome {
                Ok(()) => read_any = true,
                Err(error) => {
                    tracing::warn!(
                        target: "tallyvault::providers",
                        account = account.id,
                        path = %path,
                        error = %error,
                        "balance not read"
                    );
                    balance.notes.push(format!("{path}: {error}"));
                }
            }
        }
        if read_any {
            accounts::save_balance(&self.store, account.id, &balance)?;
        }
        Ok(())
    }

    fn today_end(&self) -> i64 {
        (self.now_ms() / 1000).div_euclid(DAY_SECS) * DAY_SECS + DAY_SECS
    }

    fn plan(
        &self,
        api: &dyn ProviderApi,
        account: &Account,
        plan: Plan,
    ) -> Result<Vec<(&'static Endpoint, Window)>> {
        let now_s = self.now_ms() / 1000;
        let today = now_s.div_euclid(DAY_SECS) * DAY_SECS;
        let start = |endpoint: &Endpoint| match plan {
            Plan::QueueOnly => None,
            Plan::Since(since) => Some(since),
            Plan::Scheduled => Some(match account.backfilled_until {
                None => today - account.backfill_days * DAY_SECS,
                Some(_) if endpoint.kind == EndpointKind::Cost => {
                    today - self.policy.cost_trailing_days * DAY_SECS
                }
                Some(_) => today - self.policy.trailing_days * DAY_SECS,
            }),
        };
        let mut work = Vec::new();
        let mut seen = HashSet::new();
        for q in accounts::queue(&self.store, Some(account.id))? {
            let due = plan == Plan::QueueOnly || q.next_try_ms <= self.now_ms();
            if let Some(endpoint) = api.endpoints().iter().find(|e| e.name == q.endpoint) {
                let window = Window {
                    start: q.window_start,
                    end: q.window_end,
                };
                if due && seen.insert((endpoint.name, window)) {
                    work.push((endpoint, window));
                }
            }
        }
        for endpoint in api.endpoints() {
            let Some(start) = start(endpoint) else {
                continue;
            };
            for window in api.windows(endpoint, start, now_s) {
                if seen.insert((endpoint.name, window)) {
                    work.push((endpoint, window));
                }
            }
        }
        Ok(work)
    }

    /// Every page of one window, or an error: nothing is kept from a window that fails part-way.
    async fn fetch_window(
        &self,
        api: &dyn ProviderApi,
        endpoint: &Endpoint,
        window: Window,
        base: &str,
        headers: &Headers,
        requests: &mut u64,
    ) -> std::result::Result<Page, FetchError> {
        let url = format!("{base}{}", endpoint.path);
        let mut all = Page::default();
        let mut cursor: Option<String> = None;
        let mut cursors = HashSet::new();
        for _ in 0..self.policy.max_pages {
            let query = api.query(endpoint, window, cursor.as_deref());
            let body = get_with_retry(
                &self.transport,
                &url,
                query,
                headers,
                &self.policy.retry,
                requests,
            )
            .await?;
            // A parse error may quote what the provider sent, and a hostile one may send the key back.
            let malformed = |m: String| FetchError::Malformed(scrub(super::redact(&m), headers));
            let page = api.parse(endpoint, &body).map_err(malformed)?;
            for row in &page.usage {
                super::check_counts(row).map_err(malformed)?;
            }
            all.usage.extend(page.usage);
            all.costs.extend(page.costs);
            match page.next_page {
                None => {
                    // Rows outside the window belong to another window's replacement.
                    all.usage
                        .retain(|r| r.start >= window.start && r.start < window.end);
                    all.costs
                        .retain(|r| r.start >= window.start && r.start < window.end);
                    return Ok(all);
                }
                Some(next) => {
                    if !cursors.insert(next.clone()) {
                        return Err(FetchError::Malformed("the next_page cursor repeats".into()));
                    }
                    cursor = Some(next);
                }
            }
        }
        Err(FetchError::Malformed(format!(
            "more than {} pages",
            self.policy.max_pages
        )))
    }

    /// Replaces the window's stored buckets with `page`, in one transaction.
    fn commit(
        &self,
        account: &Account,
        api: &dyn ProviderApi,
        endpoint: &Endpoint,
        window: Window,
        page: Page,
    ) -> Result<()> {
        let origin = origin_path(account.id, endpoint.name);
        let source = format!("{}-api", api.name());
        let account_part = account.id.to_be_bytes();
        let records: Vec<UsageRecord> = page
            .usage
            .iter()
            .map(|row| {
                let (cost, cost_origin) =
                    usage::price_tokens(&self.prices, &row.model, &row.tokens, false);
                UsageRecord {
                    id: record_id(&[
                        b"provider-usage",
                        &account_part,
                        endpoint.name.as_bytes(),
                        &row.start.to_be_bytes(),
                        row.model.as_bytes(),
                        row.project.as_bytes(),
                        row.group.as_bytes(),
                    ]),
                    source: source.clone(),
                    provider: api.name().to_string(),
                    model: row.model.clone(),
                    project: row.project.clone(),
                    session: String::new(),
                    ts_ms: row.start * 1000,
                    tokens: row.tokens,
                    requests: row.requests,
                    cost,
                    cost_origin: if cost.is_none() {
                        CostOrigin::Unpriced
                    } else {
                        cost_origin
                    },
                    reported_cost: row.reported_cost,
                    fast: false,
                    message_key: None,
                    sidechain: false,
                    origin_path: Some(origin.clone()),
                }
            })
            .collect();
        self.store.write(|tx| {
            tx.execute(
                "DELETE FROM usage_records WHERE origin_path = ?1 AND ts >= ?2 AND ts < ?3",
                params![origin, window.start * 1000, window.end * 1000],
            )?;
            tx.execute(
                "DELETE FROM provider_costs WHERE account_id = ?1 AND endpoint = ?2 AND ts >= ?3 AND ts < ?4",
                params![account.id, endpoint.name, window.start * 1000, window.end * 1000],
            )?;
            usage::upsert(tx, &records, usage::Conflict::Replace)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR REPLACE INTO provider_costs
                         (id, account_id, provider, endpoint, ts, model, project, line_item, amount_nanos)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for c in &page.costs {
                    let id = record_id(&[
                        b"provider-cost",
                        &account_part,
                        endpoint.name.as_bytes(),
                        &c.start.to_be_bytes(),
                        c.model.as_bytes(),
                        c.project.as_bytes(),
                        c.line_item.as_bytes(),
                    ]);
                    insert.execute(params![
                        id,
                        account.id,
                        api.name(),
                        endpoint.name,
                        c.start * 1000,
                        c.model,
                        c.project,
                        c.line_item,
                        c.amount.nanos()
                    ])?;
                }
            }
            // This window is now exact: queued entries it covers are done.
            tx.execute(
                "DELETE FROM provider_retry_queue WHERE account_id = ?1 AND endpoint = ?2
                     AND window_start >= ?3 AND window_end <= ?4",
                params![account.id, endpoint.name, window.start, window.end],
            )?;
            usage::refresh_rollups(tx)?;
            Ok(())
        })
    }
}

/// The `origin_path` of an account's usage records from one endpoint (so a window can take them back).
pub fn origin_path(account_id: i64, endpoint: &str) -> String {
    format!("provider-account:{account_id}:{endpoint}")
}
