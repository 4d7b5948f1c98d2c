//! Provider accounts (provider + vault credential + base URL + interval), their poll state, and the retry
//! queue of failed windows. Metadata only: nothing here reads a secret.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::breaker::{Breaker, CircuitState};
use crate::error::{Error, Result};
use crate::store::Store;

pub const DEFAULT_INTERVAL_SECS: i64 = 900;
pub const DEFAULT_BACKFILL_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub provider: String,
    pub credential_id: i64,
    pub credential_label: String,
    /// Set when the provider refused the key (401/403): the account is not polled until the key is rotated.
    pub credential_invalid: Option<String>,
    pub base_url: Option<String>,
    pub interval_secs: i64,
    pub backfill_days: i64,
    pub created_at: String,
    pub backfilled_until: Option<i64>,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub circuit_state: CircuitState,
    pub consecutive_failures: u32,
    pub circuit_open_until_ms: Option<i64>,
    pub requests_total: i64,
    pub queued_windows: i64,
}

const SELECT: &str = "SELECT a.id, a.provider, a.credential_id, c.label, c.invalid_reason, a.base_url,
        a.interval_secs, a.backfill_days, a.created_at, a.backfilled_until, a.last_success_at, a.last_error,
        a.last_error_at, a.circuit_state, a.consecutive_failures, a.circuit_open_until, a.requests_total,
        (SELECT COUNT(*) FROM provider_retry_queue q WHERE q.account_id = a.id)
    FROM provider_accounts a JOIN credentials c ON c.id = a.credential_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    let state: String = r.get(13)?;
    Ok(Account {
        id: r.get(0)?,
        provider: r.get(1)?,
        credential_id: r.get(2)?,
        credential_label: r.get(3)?,
        credential_invalid: r.get(4)?,
        base_url: r.get(5)?,
        interval_secs: r.get(6)?,
        backfill_days: r.get(7)?,
        created_at: r.get(8)?,
        backfilled_until: r.get(9)?,
        last_success_at: r.get(10)?,
        last_error: r.get(11)?,
        last_error_at: r.get(12)?,
        circuit_state: CircuitState::parse(&state),
        consecutive_failures: r.get::<_, i64>(14)?.clamp(0, u32::MAX as i64) as u32,
        circuit_open_until_ms: r.get(15)?,
        requests_total: r.get(16)?,
        queued_windows: r.get(17)?,
    })
}

impl Account {
    pub fn breaker(&self, threshold: u32, cooldown_ms: i64) -> Breaker {
        Breaker {
            state: self.circuit_state,
            failures: self.consecutive_failures,
            open_until_ms: self.circuit_open_until_ms,
            threshold: threshold.max(1),
            cooldown_ms,
        }
    }
}

pub struct NewAccount {
    pub provider: String,
    pub credential_id: i64,
    pub base_url: Option<String>,
    pub interval_secs: i64,
    pub backfill_days: i64,
}

/// The longest poll interval: a week.
pub const MAX_INTERVAL_SECS: i64 = 7 * 86_400;

/// Checks an account's settings; the base URL comes back normalised (see [`super::destination`]).
pub fn validate(new: &NewAccount) -> Result<NewAccount> {
    if super::api(&new.provider).is_none() {
        return Err(Error::InvalidInput(format!(
            "unknown provider {:?}: expected one of {}",
            new.provider.chars().take(40).collect::<String>(),
            super::PROVIDERS.join(", ")
        )));
    }
    let base_url = match &new.base_url {
        Some(url) => Some(super::destination::check_base_url(url)?),
        None => None,
    };
    if !(60..=MAX_INTERVAL_SECS).contains(&new.interval_secs) {
        return Err(Error::InvalidInput(
            "the poll interval must be 1 minute to 7 days".into(),
        ));
    }
    if !(1..=366).contains(&new.backfill_days) {
        return Err(Error::InvalidInput(
            "the backfill must be 1 to 366 days".into(),
        ));
    }
    Ok(NewAccount {
        provider: new.provider.clone(),
        credential_id: new.credential_id,
        base_url,
        interval_secs: new.interval_secs,
        backfill_days: new.backfill_days,
    })
}

/// Inserts a validated account; returns its id.
pub(crate) fn insert_tx(tx: &Transaction<'_>, new: &NewAccount, now: &str) -> Result<i64> {
    tx.execute(
        "INSERT INTO provider_accounts (provider, credential_id, base_url, interval_secs, backfill_days, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new.provider,
            new.credential_id,
            new.base_url,
            new.interval_secs,
            new.backfill_days,
            now
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Adds an account without the vault. A custom base URL added this way is not approved: no key is sent to it
/// until [`crate::vault::Vault::set_provider_base_url`] approves it (with the vault unlocked, audited). The
/// CLI adds such accounts through [`crate::vault::Vault::add_provider_account`] instead.
pub fn add(store: &Store, new: &NewAccount, now: &str) -> Result<Account> {
    let new = validate(new)?;
    store.write(|tx| {
        let id = insert_tx(tx, &new, now)?;
        find_tx(tx, id)
    })
}

/// Notes on the account why it was not polled (shown by `providers status` and the desktop).
pub fn record_refusal(store: &Store, id: i64, reason: &str, now: &str) -> Result<()> {
    store.write(|tx| {
        tx.execute(
            "UPDATE provider_accounts SET last_error = ?2, last_error_at = ?3 WHERE id = ?1",
            params![id, reason, now],
        )?;
        Ok(())
    })
}

pub(crate) fn find_tx(tx: &Transaction<'_>, id: i64) -> Result<Account> {
    tx.query_row(&format!("{SELECT} WHERE a.id = ?1"), [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("provider account {id}")))
}

pub fn find(store: &Store, id: i64) -> Result<Account> {
    store.read(|tx| find_tx(tx, id))
}

pub fn list(store: &Store) -> Result<Vec<Account>> {
    store.read(|tx| {
        let mut stmt = tx.prepare(&format!("{SELECT} ORDER BY a.id"))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// What a poll run changes on its account.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    pub success_at: Option<String>,
    pub error: Option<(String, String)>,
    pub backfilled_until: Option<i64>,
    pub requests: i64,
}

pub fn save_run(store: &Store, id: i64, breaker: &Breaker, run: &RunState) -> Result<()> {
    store.write(|tx| {
        tx.execute(
            "UPDATE provider_accounts SET circuit_state = ?2, consecutive_failures = ?3, circuit_open_until = ?4,
                 requests_total = requests_total + ?5,
                 last_success_at = COALESCE(?6, last_success_at),
                 last_error = CASE WHEN ?7 IS NULL THEN last_error ELSE ?7 END,
                 last_error_at = CASE WHEN ?8 IS NULL THEN last_error_at ELSE ?8 END,
                 backfilled_until = CASE WHEN ?9 IS NULL THEN backfilled_until
                     ELSE MAX(COALESCE(backfilled_until, 0), ?9) END
             WHERE id = ?1",
            params![
                id,
                breaker.state.as_str(),
                breaker.failures,
                breaker.open_until_ms,
                run.requests,
                run.success_at,
                run.error.as_ref().map(|e| e.0.as_str()),
                run.error.as_ref().map(|e| e.1.as_str()),
                run.backfilled_until,
            ],
        )?;
        Ok(())
    })
}

/// The provider refused the key: the credential is marked invalid with the provider's message (which stops
/// every account using it until the key is rotated).
pub fn mark_credential_invalid(store: &Store, credential_id: i64, reason: &str) -> Result<()> {
    store.write(|tx| {
        tx.execute(
            "UPDATE credentials SET invalid_reason = ?2 WHERE id = ?1",
            params![credential_id, reason],
        )?;
        Ok(())
    })
}

/// A failed window waiting to be fetched again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedWindow {
    pub id: i64,
    pub account_id: i64,
    pub endpoint: String,
    pub window_start: i64,
    pub window_end: i64,
    pub attempts: i64,
    pub last_error: String,
    pub next_try_ms: i64,
}

const QUEUE_SELECT: &str =
    "SELECT id, account_id, endpoint, window_start, window_end, attempts, last_error, next_try
    FROM provider_retry_queue";

fn queued_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueuedWindow> {
    Ok(QueuedWindow {
        id: r.get(0)?,
        account_id: r.get(1)?,
        endpoint: r.get(2)?,
        window_start: r.get(3)?,
        window_end: r.get(4)?,
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        next_try_ms: r.get(7)?,
    })
}

pub fn queue(store: &Store, account_id: Option<i64>) -> Result<Vec<QueuedWindow>> {
    store.read(|tx| {
        let mut stmt = tx.prepare(&format!(
            "{QUEUE_SELECT} WHERE ?1 IS NULL OR account_id = ?1 ORDER BY account_id, window_start, endpoint"
        ))?;
        let rows = stmt.query_map([account_id], queued_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// A window that failed (or was skipped while the circuit was open).
pub struct Failure<'a> {
    pub endpoint: &'a str,
    pub window: super::Window,
    pub error: &'a str,
    /// False for a window skipped while the circuit is open: no request was made.
    pub counts_as_attempt: bool,
}

/// Records a failed window: a new entry, or one more attempt on the queued one. `next_try` maps the attempt
/// count to the Unix ms of the next try.
pub fn enqueue_failure(
    store: &Store,
    account_id: i64,
    failure: &Failure<'_>,
    next_try: impl Fn(i64) -> i64,
    now: &str,
) -> Result<()> {
    let Failure {
        endpoint,
        window,
        error,
        counts_as_attempt,
    } = *failure;
    store.write(|tx| {
        let attempts: i64 = tx
            .query_row(
                "SELECT attempts FROM provider_retry_queue
                 WHERE account_id = ?1 AND endpoint = ?2 AND window_start = ?3 AND window_end = ?4",
                params![account_id, endpoint, window.start, window.end],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0)
            + i64::from(counts_as_attempt);
        tx.execute(
            "INSERT INTO provider_retry_queue
                 (account_id, endpoint, window_start, window_end, attempts, last_error, next_try, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (account_id, endpoint, window_start, window_end)
             DO UPDATE SET attempts = excluded.attempts, next_try = excluded.next_try,
                 -- a window skipped while the circuit is open keeps the error that opened it
                 last_error = CASE WHEN ?9 THEN excluded.last_error ELSE last_error END",
            params![account_id, endpoint, window.start, window.end, attempts, error, next_try(attempts), now, counts_as_attempt],
        )?;
        Ok(())
    })
}

/// Replaces an account's balance snapshot.
pub fn save_balance(store: &Store, account_id: i64, b: &super::Balance) -> Result<()> {
    let nanos = |m: Option<crate::money::Money>| m.map(|m| m.nanos());
    store.write(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO provider_balances (account_id, fetched_at, credits_total_nanos,
                 credits_used_nanos, key_limit_nanos, key_limit_remaining_nanos, key_limit_reset,
                 key_usage_nanos, key_usage_daily_nanos, key_usage_weekly_nanos, key_usage_monthly_nanos,
                 key_is_management, key_expires_at, notes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                account_id,
                b.fetched_at,
                nanos(b.credits_total),
                nanos(b.credits_used),
                nanos(b.key_limit),
                nanos(b.key_limit_remaining),
                b.key_limit_reset,
                nanos(b.key_usage),
                nanos(b.key_usage_daily),
                nanos(b.key_usage_weekly),
                nanos(b.key_usage_monthly),
                b.key_is_management,
                b.key_expires_at,
                b.notes.join("\n"),
            ],
        )?;
        Ok(())
    })
}

/// Every account's latest balance snapshot, by account id.
pub fn balances(store: &Store) -> Result<std::collections::BTreeMap<i64, super::Balance>> {
    store.read(|tx| {
        let mut stmt = tx.prepare(
            "SELECT account_id, fetched_at, credits_total_nanos, credits_used_nanos, key_limit_nanos,
                    key_limit_remaining_nanos, key_limit_reset, key_usage_nanos, key_usage_daily_nanos,
                    key_usage_weekly_nanos, key_usage_monthly_nanos, key_is_management, key_expires_at, notes
             FROM provider_balances",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = std::collections::BTreeMap::new();
        while let Some(r) = rows.next()? {
            let money = |i: usize| -> rusqlite::Result<Option<crate::money::Money>> {
                Ok(r.get::<_, Option<i64>>(i)?.map(crate::money::Money::from_nanos))
            };
            let notes: String = r.get(13)?;
            out.insert(
                r.get::<_, i64>(0)?,
                super::Balance {
                    fetched_at: r.get(1)?,
                    credits_total: money(2)?,
                    credits_used: money(3)?,
                    key_limit: money(4)?,
                    key_limit_remaining: money(5)?,
                    key_limit_reset: r.get(6)?,
                    key_usage: money(7)?,
                    key_usage_daily: money(8)?,
                    key_usage_weekly: money(9)?,
                    key_usage_monthly: money(10)?,
                    key_is_management: r.get(11)?,
                    key_expires_at: r.get(12)?,
                    notes: notes
                        .lines()
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect(),
                },
            );
        }
        Ok(out)
    })
}
