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

fn quarter_hour_sql(filter: &str) -> String {
    format!(
        "SELECT ts / {QUARTER_HOUR_MS}, provider, model, COALESCE(SUM(cost_nanos), 0), SUM(requests),
                SUM(input_tokens + cache_write_5m + cache_write_1h + cache_read + output_tokens),
                SUM(cache_read), SUM(CASE WHEN cost_nanos IS NULL THEN requests ELSE 0 END),
                source, project
         FROM usage_records WHERE ts >= ?1 AND ts < ?2 {filter}
         GROUP BY ts / {QUARTER_HOUR_MS}, provider, model, source, project"
    )
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
        // A rollup row is already one (hour, source, provider, model, fast, project): read them as they are
        // and add up here (SQLite's GROUP BY over them costs several times the read).
        let sql = format!(
            "SELECT hour, provider, model, cost_nanos, requests,
                    input_tokens + cache_write_5m + cache_write_1h + cache_read + output_tokens,
                    cache_read, unpriced_requests
             FROM usage_hourly WHERE hour >= ?1 AND hour < ?2 {filter}"
        );
        (
            sql,
            HOUR_MS,
            start.div_euclid(HOUR_MS),
            end.div_euclid(HOUR_MS),
        )
    } else {
        (quarter_hour_sql(&filter), QUARTER_HOUR_MS, start, end)
    };
    let mut days: BTreeMap<(NaiveDate, String, String), DailyRow> = BTreeMap::new();
    store.read(|tx| {
        let mut stmt = tx.prepare(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&lo, &hi];
        for v in &values {
            params.push(v);
        }
        let mut rows = stmt.query(params.as_slice())?;
        let mut dates = BucketDates::new(tz, bucket_ms);
        while let Some(r) = rows.next()? {
            let Some(date) = dates.date(r.get(0)?) else {
                continue;
            };
            let provider = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
            let model = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
            let key = (date, provider.to_string(), model.to_string());
            let row = days.entry(key).or_insert_with(|| DailyRow {
                date,
                provider: provider.to_string(),
                model: model.to_string(),
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

/// The local date of a bucket (rows come in bucket order, so the last answer is kept).
struct BucketDates<'a> {
    tz: &'a Tz,
    bucket_ms: i64,
    last: Option<(i64, NaiveDate)>,
}

impl<'a> BucketDates<'a> {
    fn new(tz: &'a Tz, bucket_ms: i64) -> Self {
        BucketDates {
            tz,
            bucket_ms,
            last: None,
        }
    }

    fn date(&mut self, bucket: i64) -> Option<NaiveDate> {
        match self.last {
            Some((b, date)) if b == bucket => Some(date),
            _ => {
                let instant =
                    DateTime::<Utc>::from_timestamp_millis(bucket.checked_mul(self.bucket_ms)?)?;
                let date = local_date(self.tz, instant);
                self.last = Some((bucket, date));
                Some(date)
            }
        }
    }
}

/// Whether usage of `source`, `provider`, `model` and `project` is in `scope`, exactly as [`scope_sql`] would
/// select it: the model pattern is SQLite's own GLOB, asked of the open transaction.
fn in_scope(
    glob: &mut rusqlite::Statement<'_>,
    scope: &Scope,
    [source, provider, model, project]: [&str; 4],
) -> rusqlite::Result<bool> {
    let equal = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
    let source_ok = match &scope.source {
        Some(want) => want == source,
        None => crate::usage::is_local_source(source),
    };
    if !(source_ok && equal(&scope.provider, provider) && equal(&scope.project, project)) {
        return Ok(false);
    }
    match &scope.model {
        Some(pattern) => glob.query_row((model, pattern), |r| r.get::<_, bool>(0)),
        None => Ok(true),
    }
}

/// Total cost per local day over [from, to) for each of `scopes` (element i answers `scopes[i]`), oldest first
/// with a zero for every day without usage, from one read of the store: what budgets need, however many.
pub fn scoped_daily_totals(
    store: &Store,
    tz: &Tz,
    scopes: &[&Scope],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Vec<(NaiveDate, Money)>>> {
    let days: Vec<NaiveDate> = from.iter_days().take_while(|d| *d < to).collect();
    let mut totals = vec![vec![Money::ZERO; days.len()]; scopes.len()];
    if !scopes.is_empty() && !days.is_empty() {
        add_scoped_costs(store, tz, scopes, from, to, &mut totals)?;
    }
    Ok(totals
        .into_iter()
        .map(|t| days.iter().copied().zip(t).collect())
        .collect())
}

/// Adds each day's cost in each scope to `totals[scope][day]` (days counted from `from`, to before `to`).
fn add_scoped_costs(
    store: &Store,
    tz: &Tz,
    scopes: &[&Scope],
    from: NaiveDate,
    to: NaiveDate,
    totals: &mut [Vec<Money>],
) -> Result<()> {
    let day_count = totals.first().map_or(0, Vec::len);
    let start = local_midnight(tz, from).timestamp_millis();
    let end = local_midnight(tz, to).timestamp_millis();
    // Columns as in `quarter_hour_sql`: bucket, provider, model, cost, ..., source (8), project (9).
    let (sql, bucket_ms, lo, hi) = if whole_hour_midnights(tz, from, to) {
        (
            "SELECT hour, provider, model, cost_nanos, 0, 0, 0, 0, source, project
             FROM usage_hourly WHERE hour >= ?1 AND hour < ?2"
                .to_string(),
            HOUR_MS,
            start.div_euclid(HOUR_MS),
            end.div_euclid(HOUR_MS),
        )
    } else {
        (quarter_hour_sql(""), QUARTER_HOUR_MS, start, end)
    };
    store.read(|tx| {
        let mut glob = tx.prepare_cached("SELECT ?1 GLOB ?2")?;
        let mut stmt = tx.prepare(&sql)?;
        let mut rows = stmt.query([lo, hi])?;
        let mut dates = BucketDates::new(tz, bucket_ms);
        // Which scopes each (source, provider, model, project) is in: a store has few such combinations.
        let mut members: std::collections::HashMap<String, Vec<usize>> = Default::default();
        let mut key = String::new();
        while let Some(r) = rows.next()? {
            let cost: i64 = r.get(3)?;
            if cost == 0 {
                continue;
            }
            let Some(date) = dates.date(r.get(0)?) else {
                continue;
            };
            let Some(day) = usize::try_from((date - from).num_days())
                .ok()
                .filter(|d| *d < day_count)
            else {
                continue;
            };
            let text = |i: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(i)?.as_str()?) };
            let fields = [text(8)?, text(1)?, text(2)?, text(9)?];
            key.clear();
            for f in fields {
                key.push_str(f);
                key.push('\0');
            }
            if !members.contains_key(key.as_str()) {
                let mut list = Vec::new();
                for (i, scope) in scopes.iter().enumerate() {
                    if in_scope(&mut glob, scope, fields)? {
                        list.push(i);
                    }
                }
                members.insert(key.clone(), list);
            }
            for &i in &members[key.as_str()] {
                totals[i][day] += Money::from_nanos(cost);
            }
        }
        Ok(())
    })
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
