//! The dashboard's one query: spend today, this week and this month in the user's zone (exact money, unpriced
//! usage told apart), the month's forecast with its interval, budgets' progress, open alerts, and the daily
//! series the chart draws. Two reads of the hourly rollups: the days of the totals and the chart, per source,
//! provider and model (the rollups without the project; a long chart's two halves at once); and, at the same
//! time on another connection, months of daily totals for the forecast and every budget at once. It stays
//! fast on a store of a million records. Time and the zone are passed in.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::budget::period::{local_date, period_at, PeriodKind};
use crate::budget::{self, alerts, Alert, BudgetStatus, Scope};
use crate::chart::{Breakdown, DailySpend};
use crate::error::{Error, Result};
use crate::forecast::{self, PeriodProjection};
use crate::money::Money;
use crate::report::{self, Amounts, DayBucket, Grouping, ReportQuery};
use crate::store::Store;

/// The longest chart the dashboard draws, in days.
pub const MAX_CHART_DAYS: u32 = 366;

#[derive(Debug, Clone)]
pub struct DashboardQuery {
    pub now: DateTime<Utc>,
    pub timezone: Tz,
    /// The chart covers the last this-many local days, today included.
    pub chart_days: u32,
    pub breakdown: Breakdown,
}

/// Spend over local dates [from, to].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpendTotal {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    /// Priced usage only.
    pub cost: Money,
    pub requests: i64,
    pub tokens: u64,
    pub unpriced_requests: i64,
    pub unpriced_tokens: u64,
}

impl SpendTotal {
    fn over(buckets: &[DayBucket], from: NaiveDate, to: NaiveDate) -> SpendTotal {
        let mut sum = Amounts::default();
        for b in buckets.iter().filter(|b| b.date >= from && b.date <= to) {
            sum.add(&b.amounts);
        }
        SpendTotal {
            from,
            to,
            cost: sum.cost,
            requests: sum.requests,
            tokens: sum.tokens.total(),
            unpriced_requests: sum.unpriced_requests,
            unpriced_tokens: sum.unpriced_tokens,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub timezone: String,
    pub today: SpendTotal,
    /// Monday to today.
    pub week: SpendTotal,
    /// The calendar month to today.
    pub month: SpendTotal,
    /// All local usage to the end of this calendar month.
    pub forecast: PeriodProjection,
    pub budgets: Vec<BudgetStatus>,
    /// Open alerts, newest first.
    pub alerts: Vec<Alert>,
    pub chart: DailySpend,
}

/// Loads the dashboard at `query.now`.
pub fn load(store: &Store, query: &DashboardQuery) -> Result<Dashboard> {
    if !(1..=MAX_CHART_DAYS).contains(&query.chart_days) {
        return Err(Error::InvalidInput(format!(
            "the chart covers 1 to {MAX_CHART_DAYS} days"
        )));
    }
    let tz = &query.timezone;
    let now = query.now;
    let today = local_date(tz, now);
    let week = period_at(PeriodKind::Week, 1, tz, now)?;
    let month = period_at(PeriodKind::Month, 1, tz, now)?;
    let chart_from = today - Duration::days(i64::from(query.chart_days) - 1);
    let from = chart_from.min(week.start).min(month.start);

    // The totals and the chart: this month, this week and the chart's days, per source, provider and model;
    // read while another connection reads the budgets.
    let mut report_query = ReportQuery::new(Grouping::Daily, *tz);
    report_query.since = Some(from);
    report_query.until = Some(today);

    // The month's forecast reads months of daily totals of all local usage: from the chart's read when the chart
    // covers them (a long chart), else from the same read of the store as every budget's status.
    let (history_from, tomorrow) = forecast::history_range(PeriodKind::Month, 1, tz, now)?;
    let chart_has_history = from <= history_from;
    let (buckets, budgets) = rayon::join(
        || report::day_buckets_by(store, &report_query, false),
        || {
            if chart_has_history {
                budget::status(store, now, tz).map(|budgets| (budgets, None))
            } else {
                budget::status_and_totals(
                    store,
                    now,
                    tz,
                    Some((&Scope::default(), history_from, tomorrow)),
                )
                .map(|(budgets, totals)| (budgets, Some(totals)))
            }
        },
    );
    let (buckets, (budgets, totals)) = (buckets?, budgets?);
    let totals = match totals {
        Some(totals) => totals,
        None => {
            let mut totals: Vec<(NaiveDate, Money)> = from
                .iter_days()
                .take_while(|d| *d < tomorrow)
                .map(|d| (d, Money::ZERO))
                .collect();
            for b in &buckets {
                if let Some(slot) = totals.get_mut((b.date - from).num_days() as usize) {
                    slot.1 += b.amounts.cost;
                }
            }
            totals
        }
    };
    let forecast = forecast::project_totals(&totals, tz, now, PeriodKind::Month, 1, None)?;

    Ok(Dashboard {
        timezone: tz.name().to_string(),
        today: SpendTotal::over(&buckets, today, today),
        week: SpendTotal::over(&buckets, week.start, today),
        month: SpendTotal::over(&buckets, month.start, today),
        forecast,
        budgets,
        alerts: alerts::list(store, false)?
            .into_iter()
            .filter(|a| a.state == budget::AlertState::Open)
            .collect(),
        chart: DailySpend::from_buckets(&buckets, chart_from, today, query.breakdown),
    })
}

/// The daily series alone (for a chart export).
pub fn daily_spend(
    store: &Store,
    tz: &Tz,
    from: NaiveDate,
    to: NaiveDate,
    by: Breakdown,
) -> Result<DailySpend> {
    if from > to || (to - from).num_days() >= i64::from(MAX_CHART_DAYS) {
        return Err(Error::InvalidInput(format!(
            "a chart covers 1 to {MAX_CHART_DAYS} days, from its first to its last"
        )));
    }
    let mut query = ReportQuery::new(Grouping::Daily, *tz);
    query.since = Some(from);
    query.until = Some(to);
    let buckets = report::day_buckets_by(store, &query, false)?;
    Ok(DailySpend::from_buckets(&buckets, from, to, by))
}

/// Today's and this month's spend alone (the tray's menu): one read of this month's rollups.
pub fn today_and_month(
    store: &Store,
    tz: &Tz,
    now: DateTime<Utc>,
) -> Result<(SpendTotal, SpendTotal)> {
    let today = local_date(tz, now);
    let month = period_at(PeriodKind::Month, 1, tz, now)?;
    let mut query = ReportQuery::new(Grouping::Daily, *tz);
    query.since = Some(month.start);
    query.until = Some(today);
    let buckets = report::day_buckets_by(store, &query, false)?;
    Ok((
        SpendTotal::over(&buckets, today, today),
        SpendTotal::over(&buckets, month.start, today),
    ))
}
