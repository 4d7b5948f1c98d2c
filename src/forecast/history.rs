//! Reading history out of the store: daily amounts per provider and model in a time zone, for one scope. This
//! is the only part of `forecast` that touches the database; everything else takes these rows as input.
//!
//! Usage is summed in SQL per bucket that no local midnight splits, and each bucket is then given its local
//! date: the hourly rollups when every midnight in the range is on a whole-hour offset (most zones, DST or
//! not: fast on big stores), else the records per quarter hour (every zone's offset is a multiple of 15
//! minutes).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Offset, Utc};
use chrono_tz::Tz;

use crate::budget::period::{local_date, local_midnight};
use crate::budget::Scope;
use crate::error::Result;
use crate::money::Money;
use crate::store::Store;

const QUARTER_HOUR_MS: i64 = 900_000;
const HOUR_MS: i64 = 3_600_000;

/// One local day of one provider's model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyRow {
    pub date: NaiveDate,
    pub provider: String,
    pub model: String,
    /// Cost of priced records.
    pub cost: Money,
    pub requests: i64,
    /// All tokens (input, cache writes and reads, output).
    pub tokens: u64,
    pub cache_read: u64,
    pub unpriced_requests: i64,
}

fn scope_sql(scope: &Scope) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    let pairs = [
        ("provider = ", &scope.provider),
        ("model GLOB ", &scope.model),
        ("project = ", &scope.project),
        ("source = ", &scope.source),
    ];
    for (test, value) in pairs {
        if let Some(v) = value {
            values.push(v.clone());
            sql.push_str(&format!(" AND {test}?{}", values.len() + 2));
        }
    }
    // As in reports: usage polled from a provider's API (`<provider>-api`) measures the same requests as the
    // local logs, so it counts only when the scope names that source, never on top of them.
    if scope.source.is_none() {
        sql.push_str(&format!(" AND {}", crate::usage::LOCAL_SOURCE_SQL));
    }
    (sql, values)
}

/// Whether every local midnight in [from, to] is on a whole-hour UTC offset.
fn whole_hour_midnights(tz: &Tz, from: NaiveDate, to: NaiveDate) -> bool {
    from.iter_days().take_while(|d| *d <= to).all(|d| {
        let midnight = local_midnight(tz, d);
        midnight.with_timezone(tz).offset().fix().local_minus_utc() % 3600 == 0
            && midnight.timestamp() % 3600 == 0
    })
}

/// Daily rows for local dates [from, to) in `tz`, within `scope`.
pub fn daily_rows(
    store: &Store,
    tz: &Tz,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DailyRow>> {
    let start = local_midnight(tz, from).timestamp_millis();
    let end = local_midnight(tz, to).timestamp_millis();
    let (filter, values) = scope_sql(scope);
    let (sql, bucket_ms, lo, hi) = if whole_hour_midnights(tz, from, to) {
        let sql = format!(
            "SELECT hour, provider, model, SUM(cost_nanos), SUM(requests),
                    SUM(input_tokens + cache_write_5m + cache_write_1h + cache_read + output_tokens),
                    SUM(cache_read), SUM(unpriced_requests)
             FROM usage_hourly WHERE hour >= ?1 AND hour < ?2 {filter}
             GROUP BY hour, provider, model"
        );
        (
            sql,
            HOUR_MS,
            start.div_euclid(HOUR_MS),
            end.div_euclid(HOUR_MS),
        )
    } else {
        let sql = format!(
            "SELECT ts / {QUARTER_HOUR_MS}, provider, model, COALESCE(SUM(cost_nanos), 0), SUM(requests),
                    SUM(input_tokens + cache_write_5m + cache_write_1h + cache_read + output_tokens),
                    SUM(cache_read), SUM(CASE WHEN cost_nanos IS NULL THEN requests ELSE 0 END)
             FROM usage_records WHERE ts >= ?1 AND ts < ?2 {filter}
             GROUP BY ts / {QUARTER_HOUR_MS}, provider, model"
        );
        (sql, QUARTER_HOUR_MS, start, end)
    };
    let mut days: BTreeMap<(NaiveDate, String, String), DailyRow> = BTreeMap::new();
    store.read(|tx| {
        let mut stmt = tx.prepare(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&lo, &hi];
        for v in &values {
            params.push(v);
        }
        let mut rows = stmt.query(params.as_slice())?;
        while let Some(r) = rows.next()? {
            let bucket: i64 = r.get(0)?;
            let Some(instant) = DateTime::<Utc>::from_timestamp_millis(bucket * bucket_ms) else {
                continue;
            };
            let date = local_date(tz, instant);
            let provider: String = r.get(1)?;
            let model: String = r.get(2)?;
            let row = days
                .entry((date, provider.clone(), model.clone()))
                .or_insert_with(|| DailyRow {
                    date,
                    provider,
                    model,
                    ..DailyRow::default()
                });
            let count = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
            row.cost += Money::from_nanos(r.get(3)?);
            row.requests += r.get::<_, i64>(4)?;
            row.tokens += count(5)?;
            row.cache_read += count(6)?;
            row.unpriced_requests += r.get::<_, i64>(7)?;
        }
        Ok(())
    })?;
    Ok(days.into_values().collect())
}

/// Total cost per local day over [from, to), with a zero for every day without usage.
pub fn daily_totals(rows: &[DailyRow], from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, Money)> {
    let mut totals: BTreeMap<NaiveDate, Money> = from
        .iter_days()
        .take_while(|d| *d < to)
        .map(|d| (d, Money::ZERO))
        .collect();
    for row in rows {
        if let Some(slot) = totals.get_mut(&row.date) {
            *slot += row.cost;
        }
    }
    totals.into_iter().collect()
}
