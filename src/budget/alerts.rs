//! Stored alerts and their history. An alert is raised at most once per dedup key (a unique column, so two
//! evaluations racing cannot raise it twice) and moves open → acknowledged → resolved; every move is a row in
//! `alert_events`.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Money;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Open,
    Acknowledged,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Resolved => "resolved",
        }
    }

    fn parse(text: &str) -> Option<AlertState> {
        match text {
            "open" => Some(AlertState::Open),
            "acknowledged" => Some(AlertState::Acknowledged),
            "resolved" => Some(AlertState::Resolved),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEvent {
    pub at: String,
    pub state: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub id: i64,
    /// `threshold`, `forecast` or `anomaly`.
    pub kind: String,
    pub budget_id: Option<i64>,
    pub budget_name: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub threshold: Option<u32>,
    pub subject: String,
    pub state: AlertState,
    pub message: String,
    pub spend: Option<Money>,
    pub amount: Option<Money>,
    pub created_at: String,
    /// `none`, `pending`, `delivered` or `failed`.
    pub webhook_state: String,
    pub history: Vec<AlertEvent>,
}

/// An alert to raise.
#[derive(Debug, Clone, Default)]
pub struct NewAlert {
    pub kind: &'static str,
    pub budget_id: Option<i64>,
    pub budget_name: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub threshold: Option<u32>,
    pub subject: String,
    pub dedup_key: String,
    pub message: String,
    pub spend: Option<Money>,
    pub amount: Option<Money>,
}

const COLUMNS: &str =
    "id, kind, budget_id, budget_name, period_start, period_end, threshold, subject, state, \
    message, spend_nanos, amount_nanos, created_at, webhook_state";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Alert, String)> {
    let alert = Alert {
        id: r.get(0)?,
        kind: r.get(1)?,
        budget_id: r.get(2)?,
        budget_name: r.get(3)?,
        period_start: r.get(4)?,
        period_end: r.get(5)?,
        threshold: r
            .get::<_, Option<i64>>(6)?
            .map(|t| t.clamp(0, 100_000) as u32),
        subject: r.get(7)?,
        state: AlertState::Open,
        message: r.get(9)?,
        spend: r.get::<_, Option<i64>>(10)?.map(Money::from_nanos),
        amount: r.get::<_, Option<i64>>(11)?.map(Money::from_nanos),
        created_at: r.get(12)?,
        webhook_state: r.get(13)?,
        history: Vec::new(),
    };
    Ok((alert, r.get(8)?))
}

fn finish(tx: &Transaction<'_>, row: (Alert, String)) -> Result<Alert> {
    let (mut alert, state) = row;
    alert.state = AlertState::parse(&state)
        .ok_or_else(|| Error::Integrity(format!("alert {} has an unknown state", alert.id)))?;
    let mut stmt = tx.prepare_cached(
        "SELECT at, state, note FROM alert_events WHERE alert_id = ?1 ORDER BY id",
    )?;
    let events = stmt.query_map([alert.id], |r| {
        Ok(AlertEvent {
            at: r.get(0)?,
            state: r.get(1)?,
            note: r.get(2)?,
        })
    })?;
    alert.history = events.collect::<rusqlite::Result<_>>()?;
    Ok(alert)
}

pub fn get_in(tx: &Transaction<'_>, id: i64) -> Result<Alert> {
    let row = tx
        .query_row(
            &format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?;
    match row {
        Some(row) => finish(tx, row),
        None => Err(Error::NotFound(format!("alert {id}"))),
    }
}

/// Alerts, newest first; resolved ones only when `all`.
pub fn list(store: &Store, all: bool) -> Result<Vec<Alert>> {
    store.read(|tx| {
        let filter = if all { "" } else { "WHERE state != 'resolved'" };
        let mut stmt = tx.prepare(&format!(
            "SELECT {COLUMNS} FROM alerts {filter} ORDER BY id DESC"
        ))?;
        let rows = stmt
            .query_map([], from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|row| finish(tx, row)).collect()
    })
}

fn record_event(
    tx: &Transaction<'_>,
    id: i64,
    state: AlertState,
    note: &str,
    now: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO alert_events (alert_id, at, state, note) VALUES (?1, ?2, ?3, ?4)",
        params![id, now, state.as_str(), note],
    )?;
    Ok(())
}

/// Raises `new` unless its dedup key was raised before; returns the alert when it is new.
pub fn raise(
    tx: &Transaction<'_>,
    new: &NewAlert,
    webhook: bool,
    now: &str,
) -> Result<Option<Alert>> {
    let inserted = tx.execute(
        "INSERT OR IGNORE INTO alerts (kind, budget_id, budget_name, period_start, period_end, threshold, subject,
                                       dedup_key, state, message, spend_nanos, amount_nanos, created_at, webhook_state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9, ?10, ?11, ?12, ?13)",
        params![
            new.kind,
            new.budget_id,
            new.budget_name,
            new.period_start,
            new.period_end,
            new.threshold,
            new.subject,
            new.dedup_key,
            new.message,
            new.spend.map(Money::nanos),
            new.amount.map(Money::nanos),
            now,
            if webhook { "pending" } else { "none" },
        ],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    let id = tx.last_insert_rowid();
    record_event(tx, id, AlertState::Open, "raised", now)?;
    get_in(tx, id).map(Some)
}

/// Moves an alert to `to` (only forward: open → acknowledged → resolved).
pub fn transition(
    tx: &Transaction<'_>,
    id: i64,
    to: AlertState,
    note: &str,
    now: &str,
) -> Result<Alert> {
    let alert = get_in(tx, id)?;
    let allowed = matches!(
        (alert.state, to),
        (AlertState::Open, AlertState::Acknowledged)
            | (AlertState::Open, AlertState::Resolved)
            | (AlertState::Acknowledged, AlertState::Resolved)
    );
    if !allowed {
        return Err(Error::InvalidInput(format!(
            "alert {id} is {}; it cannot become {}",
            alert.state.as_str(),
            to.as_str()
        )));
    }
    tx.execute(
        "UPDATE alerts SET state = ?2 WHERE id = ?1",
        params![id, to.as_str()],
    )?;
    record_event(tx, id, to, note, now)?;
    get_in(tx, id)
}

/// Acknowledges an open alert.
pub fn acknowledge(store: &Store, id: i64, now: &str) -> Result<Alert> {
    store.write(|tx| {
        transition(
            tx,
            id,
            AlertState::Acknowledged,
            "acknowledged by the user",
            now,
        )
    })
}

/// Resolves an open or acknowledged alert.
pub fn resolve(store: &Store, id: i64, now: &str) -> Result<Alert> {
    store.write(|tx| transition(tx, id, AlertState::Resolved, "resolved by the user", now))
}

/// Open or acknowledged alerts, for the engine's automatic resolution.
pub(super) fn unresolved(tx: &Transaction<'_>) -> Result<Vec<Alert>> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE state != 'resolved' ORDER BY id"
    ))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|row| finish(tx, row)).collect()
}

/// Whether an anomaly alert on `subject` was raised for a date on or after `since` (the cooldown).
pub(super) fn raised_since(tx: &Transaction<'_>, subject: &str, since: &str) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM alerts WHERE subject = ?1 AND period_start >= ?2 LIMIT 1",
            params![subject, since],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
