//! Budgets: what they cover (scope), how much (exact money), over which period, and when to warn.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::period::PeriodKind;
use crate::error::{Error, Result};
use crate::money::Money;
use crate::store::Store;

pub const DEFAULT_THRESHOLDS: [u32; 3] = [50, 80, 100];

/// Which usage a budget counts. `None` everywhere means all usage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    pub provider: Option<String>,
    /// An exact model name or a glob such as `claude-*`.
    pub model: Option<String>,
    pub project: Option<String>,
    pub source: Option<String>,
}

impl Scope {
    /// A short description: `all usage`, `provider=openai model=gpt-*`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("provider", &self.provider),
            ("model", &self.model),
            ("project", &self.project),
            ("source", &self.source),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        if parts.is_empty() {
            "all usage".into()
        } else {
            parts.join(" ")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub id: i64,
    pub name: String,
    pub amount: Money,
    pub period: PeriodKind,
    /// Month periods: the billing cycle's first day of the month (1 = calendar months).
    pub cycle_day: u32,
    pub scope: Scope,
    /// Percents, ascending.
    pub thresholds: Vec<u32>,
    pub forecast_alert: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// What a new budget or an edit sets.
#[derive(Debug, Clone, Default)]
pub struct BudgetSpec {
    pub name: Option<String>,
    pub amount: Option<Money>,
    pub period: Option<PeriodKind>,
    pub cycle_day: Option<u32>,
    pub scope: Scope,
    pub thresholds: Option<Vec<u32>>,
    pub forecast_alert: Option<bool>,
}

/// Parses `50,80,100`: percents between 1 and 1000, returned sorted and without repeats.
pub fn parse_thresholds(text: &str) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let value: u32 = part.trim_end_matches('%').parse().map_err(|_| {
            Error::InvalidInput(format!("threshold {part:?} is not a whole percent"))
        })?;
        if !(1..=1000).contains(&value) {
            return Err(Error::InvalidInput(format!(
                "threshold {value}% must be between 1 and 1000"
            )));
        }
        out.push(value);
    }
    if out.is_empty() {
        return Err(Error::InvalidInput("give at least one threshold".into()));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn thresholds_text(list: &[u32]) -> String {
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

const COLUMNS: &str =
    "id, name, amount_nanos, period, cycle_day, provider, model_pattern, project, source, \
    thresholds, forecast_alert, created_at, updated_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Budget, String, String)> {
    let period: String = r.get(3)?;
    let thresholds: String = r.get(9)?;
    let budget = Budget {
        id: r.get(0)?,
        name: r.get(1)?,
        amount: Money::from_nanos(r.get(2)?),
        period: PeriodKind::Day,
        cycle_day: r.get::<_, i64>(4)?.clamp(1, 31) as u32,
        scope: Scope {
            provider: r.get(5)?,
            model: r.get(6)?,
            project: r.get(7)?,
            source: r.get(8)?,
        },
        thresholds: Vec::new(),
        forecast_alert: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
    };
    Ok((budget, period, thresholds))
}

fn finish(row: (Budget, String, String)) -> Result<Budget> {
    let (mut budget, period, thresholds) = row;
    budget.period = PeriodKind::parse(&period)
        .map_err(|_| Error::Integrity(format!("budget {} has an unknown period", budget.id)))?;
    budget.thresholds = parse_thresholds(&thresholds)
        .map_err(|_| Error::Integrity(format!("budget {} has bad thresholds", budget.id)))?;
    Ok(budget)
}

pub fn list_in(tx: &Transaction<'_>) -> Result<Vec<Budget>> {
    let mut stmt = tx.prepare(&format!("SELECT {COLUMNS} FROM budgets ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.map(|r| finish(r?)).collect()
}

pub fn list(store: &Store) -> Result<Vec<Budget>> {
    store.read(list_in)
}

/// Finds a budget by id or name.
pub fn find_in(tx: &Transaction<'_>, reference: &str) -> Result<Budget> {
    let by = |column: &str, value: &dyn rusqlite::ToSql| {
        tx.query_row(
            &format!("SELECT {COLUMNS} FROM budgets WHERE {column} = ?1"),
            [value],
            from_row,
        )
        .optional()
    };
    let found = match reference.parse::<i64>() {
        Ok(id) => match by("id", &id)? {
            Some(row) => Some(row),
            None => by("name", &reference)?,
        },
        Err(_) => by("name", &reference)?,
    };
    match found {
        Some(row) => finish(row),
        None => Err(Error::NotFound(format!("budget {reference:?}"))),
    }
}

fn validate(name: &str, amount: Money, period: PeriodKind, cycle_day: u32) -> Result<()> {
    if name.trim().is_empty() || name.chars().any(char::is_control) || name.chars().count() > 200 {
        return Err(Error::InvalidInput(
            "a budget name must have 1 to 200 printable characters".into(),
        ));
    }
    if amount.nanos() <= 0 {
        return Err(Error::InvalidInput(
            "a budget amount must be above $0".into(),
        ));
    }
    if !(1..=31).contains(&cycle_day) {
        return Err(Error::InvalidInput(format!(
            "--cycle-day must be between 1 and 31, not {cycle_day}"
        )));
    }
    if cycle_day != 1 && period != PeriodKind::Month {
        return Err(Error::InvalidInput(
            "--cycle-day only applies to month periods".into(),
        ));
    }
    Ok(())
}

fn clean(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Adds a budget. `now` is an RFC 3339 time.
pub fn add(store: &Store, spec: BudgetSpec, now: &str) -> Result<Budget> {
    let amount = spec
        .amount
        .ok_or_else(|| Error::InvalidInput("a budget needs --amount".into()))?;
    let period = spec.period.unwrap_or(PeriodKind::Month);
    let cycle_day = spec.cycle_day.unwrap_or(1);
    let scope = Scope {
        provider: clean(spec.scope.provider),
        model: clean(spec.scope.model),
        project: clean(spec.scope.project),
        source: clean(spec.scope.source),
    };
    let name = spec
        .name
        .unwrap_or_else(|| format!("{} {} {}", period.as_str(), scope.describe(), amount));
    validate(&name, amount, period, cycle_day)?;
    let thresholds = spec
        .thresholds
        .unwrap_or_else(|| DEFAULT_THRESHOLDS.to_vec());
    store.write(|tx| {
        let taken: Option<i64> = tx
            .query_row("SELECT id FROM budgets WHERE name = ?1", [&name], |r| r.get(0))
            .optional()?;
        if taken.is_some() {
            return Err(Error::InvalidInput(format!(
                "a budget named {name:?} already exists"
            )));
        }
        tx.execute(
            "INSERT INTO budgets (name, amount_nanos, period, cycle_day, provider, model_pattern, project, source,
                                  thresholds, forecast_alert, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            params![
                name.trim(),
                amount.nanos(),
                period.as_str(),
                cycle_day,
                scope.provider,
                scope.model,
                scope.project,
                scope.source,
                thresholds_text(&thresholds),
                spec.forecast_alert.unwrap_or(true),
                now
            ],
        )?;
        find_in(tx, &tx.last_insert_rowid().to_string())
    })
}

/// Changes the fields `spec` sets. Scope fields set to an empty string are cleared.
pub fn edit(store: &Store, reference: &str, spec: BudgetSpec, now: &str) -> Result<Budget> {
    store.write(|tx| {
        let mut b = find_in(tx, reference)?;
        if let Some(name) = spec.name {
            b.name = name.trim().to_string();
        }
        b.amount = spec.amount.unwrap_or(b.amount);
        b.period = spec.period.unwrap_or(b.period);
        b.cycle_day = spec.cycle_day.unwrap_or(b.cycle_day);
        for (slot, new) in [
            (&mut b.scope.provider, spec.scope.provider),
            (&mut b.scope.model, spec.scope.model),
            (&mut b.scope.project, spec.scope.project),
            (&mut b.scope.source, spec.scope.source),
        ] {
            if new.is_some() {
                *slot = clean(new);
            }
        }
        b.thresholds = spec.thresholds.unwrap_or(b.thresholds);
        b.forecast_alert = spec.forecast_alert.unwrap_or(b.forecast_alert);
        validate(&b.name, b.amount, b.period, b.cycle_day)?;
        tx.execute(
            "UPDATE budgets SET name = ?2, amount_nanos = ?3, period = ?4, cycle_day = ?5, provider = ?6,
                    model_pattern = ?7, project = ?8, source = ?9, thresholds = ?10, forecast_alert = ?11,
                    updated_at = ?12
             WHERE id = ?1",
            params![
                b.id,
                b.name,
                b.amount.nanos(),
                b.period.as_str(),
                b.cycle_day,
                b.scope.provider,
                b.scope.model,
                b.scope.project,
                b.scope.source,
                thresholds_text(&b.thresholds),
                b.forecast_alert,
                now
            ],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Error::InvalidInput(format!("a budget named {:?} already exists", b.name))
            }
            other => Error::Database(other),
        })?;
        find_in(tx, &b.id.to_string())
    })
}

/// Deletes a budget; its alerts stay as history.
pub fn remove(store: &Store, reference: &str) -> Result<Budget> {
    store.write(|tx| {
        let b = find_in(tx, reference)?;
        tx.execute("DELETE FROM budgets WHERE id = ?1", [b.id])?;
        Ok(b)
    })
}
