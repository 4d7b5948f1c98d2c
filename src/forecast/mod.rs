//! Forecasts, anomalies and what-ifs over stored spend. The models are pure functions: the clock and the data
//! are passed in (`model`, `projection`, `anomaly`, `whatif`); `history` and the two loaders below are the only
//! code here that reads the store. Nothing here writes.

pub mod anomaly;
pub mod history;
pub mod model;
pub mod projection;
pub mod whatif;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::budget::period::{local_date, local_midnight, period_at, PeriodKind};
use crate::budget::Scope;
use crate::error::Result;
use crate::money::Money;
use crate::store::Store;

pub use anomaly::{detect, Anomaly, AnomalyKind};
pub use history::{daily_rows, daily_totals, scoped_daily_totals, DailyRow};
pub use model::{forecast_daily, DailyForecast};
pub use projection::{project_period, PeriodProjection, ProjectionInput};

/// Projects spend in `scope` to the end of the period of `kind` that contains `now`.
pub fn project_scope(
    store: &Store,
    tz: &Tz,
    now: DateTime<Utc>,
    scope: &Scope,
    kind: PeriodKind,
    cycle_day: u32,
    budget: Option<Money>,
) -> Result<PeriodProjection> {
    let (from, tomorrow) = history_range(kind, cycle_day, tz, now)?;
    let totals = scoped_daily_totals(store, tz, &[scope], from, tomorrow)?;
    let totals = totals.into_iter().next().unwrap_or_default();
    project_totals(&totals, tz, now, kind, cycle_day, budget)
}

/// The local dates [from, to) whose daily totals a projection at `now` reads: the forecast's longest history,
/// or the period's start if that is earlier, to the end of today.
pub fn history_range(
    kind: PeriodKind,
    cycle_day: u32,
    tz: &Tz,
    now: DateTime<Utc>,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let period = period_at(kind, cycle_day, tz, now)?;
    let today = local_date(tz, now);
    let from = (today - Duration::days(model::MAX_HISTORY_DAYS as i64)).min(period.start);
    Ok((from, today + Duration::days(1)))
}

/// Projects the period of `kind` containing `now` from daily totals (oldest first, without gaps, today's
/// included) over at least [`history_range`]. Pure: the data and the clock come in.
pub fn project_totals(
    totals: &[(chrono::NaiveDate, Money)],
    tz: &Tz,
    now: DateTime<Utc>,
    kind: PeriodKind,
    cycle_day: u32,
    budget: Option<Money>,
) -> Result<PeriodProjection> {
    let period = period_at(kind, cycle_day, tz, now)?;
    let today = local_date(tz, now);
    let tomorrow = today + Duration::days(1);
    let history: Vec<(chrono::NaiveDate, Money)> =
        totals.iter().copied().filter(|(d, _)| *d < today).collect();
    let spent = totals
        .iter()
        .filter(|(d, _)| *d >= period.start && *d < period.end)
        .map(|(_, m)| *m)
        .sum();
    let day_start = local_midnight(tz, today);
    let day_end = local_midnight(tz, tomorrow);
    let day_ms = (day_end - day_start).num_milliseconds().max(1) as f64;
    let elapsed = ((now - day_start).num_milliseconds() as f64 / day_ms).clamp(0.0, 1.0);
    Ok(project_period(&ProjectionInput {
        history: &history,
        today,
        today_elapsed: elapsed,
        period_start: period.start,
        period_end: period.end,
        spent,
        budget,
    }))
}

/// Anomalies on the last `days` complete local days before `now` (today is still running, so it is left out).
pub fn recent_anomalies(
    store: &Store,
    tz: &Tz,
    now: DateTime<Utc>,
    days: i64,
) -> Result<Vec<Anomaly>> {
    let today = local_date(tz, now);
    let from = today - Duration::days(days.max(1));
    let rows = daily_rows(
        store,
        tz,
        &Scope::default(),
        // Each judged day needs its same-weekday baseline, and so do the days that set its recent level.
        from - Duration::weeks(anomaly::BASELINE_WEEKS) - Duration::days(anomaly::LEVEL_DAYS),
        today,
    )?;
    Ok(detect(&rows, from, today))
}
