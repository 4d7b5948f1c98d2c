//! The alert engine: after every scan, import and poll, each budget's current period is measured and
//! projected, and every threshold crossed raises its alert once per period; anomalies in the last complete days
//! raise theirs, with a cooldown per subject. Alerts of ended periods are resolved with a note.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::alerts::{self, Alert, AlertState, NewAlert};
use super::budgets::{self, Budget, Scope};
use super::period::{local_date, period_at, Period};
use super::webhook;
use crate::error::Result;
use crate::forecast::{self, PeriodProjection};
use crate::money::Money;
use crate::store::Store;

/// Days after an anomaly alert during which the same subject raises no new one.
pub const ANOMALY_COOLDOWN_DAYS: i64 = 3;
/// Complete days the engine looks at for anomalies (a scan may come after a day or two of silence).
pub const ANOMALY_LOOKBACK_DAYS: i64 = 2;
/// Unattended anomaly alerts resolve themselves after this many days.
const ANOMALY_STALE_DAYS: i64 = 7;

/// A budget's current period, measured and projected.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetStatus {
    pub budget: Budget,
    pub period: Period,
    pub spent: Money,
    /// Spend as a percentage of the amount.
    pub percent: f64,
    pub over: bool,
    pub projection: PeriodProjection,
}

impl BudgetStatus {
    pub fn projected_over(&self) -> bool {
        self.projection.projected_over
    }
}

fn percent(spent: Money, amount: Money) -> f64 {
    if amount.nanos() <= 0 {
        return 0.0;
    }
    spent.nanos() as f64 * 100.0 / amount.nanos() as f64
}

/// Every budget's status at `now`, from one read of the store whatever the number of budgets.
pub fn status(store: &Store, now: DateTime<Utc>, tz: &Tz) -> Result<Vec<BudgetStatus>> {
    Ok(status_and_totals(store, now, tz, None)?.0)
}

/// Cost per local day, oldest first, without gaps.
pub type DailyTotals = Vec<(NaiveDate, Money)>;

/// Every budget's status at `now` and, from the same read of the store, the daily totals of `extra` over
/// [from, to) and at least every budget's history (the dashboard's overall forecast reads its history this way).
pub fn status_and_totals(
    store: &Store,
    now: DateTime<Utc>,
    tz: &Tz,
    extra: Option<(&Scope, NaiveDate, NaiveDate)>,
) -> Result<(Vec<BudgetStatus>, DailyTotals)> {
    let budgets = budgets::list(store)?;
    let mut range = extra.map(|(_, from, to)| (from, to));
    for b in &budgets {
        let (from, to) = forecast::history_range(b.period, b.cycle_day, tz, now)?;
        range = Some(match range {
            Some((f, t)) => (f.min(from), t.max(to)),
            None => (from, to),
        });
    }
    let Some((from, to)) = range else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut scopes: Vec<&Scope> = budgets.iter().map(|b| &b.scope).collect();
    if let Some((scope, _, _)) = extra {
        scopes.push(scope);
    }
    let mut totals = forecast::scoped_daily_totals(store, tz, &scopes, from, to)?;
    let extra_totals = match extra {
        Some(_) => totals.pop().unwrap_or_default(),
        None => Vec::new(),
    };
    let statuses = budgets
        .into_iter()
        .zip(totals)
        .map(|(budget, totals)| {
            let period = period_at(budget.period, budget.cycle_day, tz, now)?;
            let projection = forecast::project_totals(
                &totals,
                tz,
                now,
                budget.period,
                budget.cycle_day,
                Some(budget.amount),
            )?;
            let spent = projection.spent;
            Ok(BudgetStatus {
                percent: percent(spent, budget.amount),
                over: spent > budget.amount,
                budget,
                period,
                spent,
                projection,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((statuses, extra_totals))
}

fn crossed(spent: Money, amount: Money, threshold: u32) -> bool {
    // Exact: spent / amount >= threshold / 100, in i128 so no product overflows.
    i128::from(spent.nanos()) * 100 >= i128::from(amount.nanos()) * i128::from(threshold)
}

fn budget_alerts(s: &BudgetStatus) -> Vec<NewAlert> {
    let b = &s.budget;
    let base =
        |kind: &'static str, key: String, message: String, threshold: Option<u32>| NewAlert {
            kind,
            budget_id: Some(b.id),
            budget_name: Some(b.name.clone()),
            period_start: Some(s.period.start.to_string()),
            period_end: Some(s.period.end.to_string()),
            threshold,
            subject: format!("budget:{}", b.id),
            dedup_key: key,
            message,
            spend: Some(s.spent),
            amount: Some(b.amount),
        };
    let mut out = Vec::new();
    for &t in &b.thresholds {
        if crossed(s.spent, b.amount, t) {
            out.push(base(
                "threshold",
                format!("budget:{}:{}:{t}", b.id, s.period.start),
                format!(
                    "Budget \"{}\" ({}, {}): {} of {} spent ({:.0}%), past its {t}% threshold for {} to {}",
                    b.name,
                    b.period.as_str(),
                    b.scope.describe(),
                    s.spent,
                    b.amount,
                    s.percent,
                    s.period.start,
                    s.period.end.pred_opt().unwrap_or(s.period.end)
                ),
                Some(t),
            ));
        }
    }
    let p = &s.projection;
    if b.forecast_alert && p.projected_over && !s.over && p.method != "none" {
        out.push(base(
            "forecast",
            format!("budget:{}:{}:forecast", b.id, s.period.start),
            format!(
                "Budget \"{}\" is projected to reach {} of {} by {} ({}% interval {} to {}, {}){}",
                b.name,
                p.projected,
                b.amount,
                s.period.end.pred_opt().unwrap_or(s.period.end),
                (p.level * 100.0).round(),
                p.lower,
                p.upper,
                p.method,
                p.exhaustion_date
                    .map(|d| format!("; it runs out around {d}"))
                    .unwrap_or_default()
            ),
            None,
        ));
    }
    out
}

/// Evaluates every budget and recent anomalies at `now`; returns the alerts raised by this call (each
/// (budget, period, threshold) and each anomaly subject within its cooldown raises at most once, ever).
pub fn evaluate(store: &Store, now: DateTime<Utc>, tz: Tz) -> Result<Vec<Alert>> {
    let statuses = status(store, now, &tz)?;
    let anomalies = forecast::recent_anomalies(store, &tz, now, ANOMALY_LOOKBACK_DAYS)?;
    let webhook = webhook::is_configured(store)?;
    let stamp = crate::audit::format_time(now);
    let today = local_date(&tz, now);
    store.write(|tx| {
        let mut raised = Vec::new();
        for s in &statuses {
            for new in budget_alerts(s) {
                raised.extend(alerts::raise(tx, &new, webhook, &stamp)?);
            }
        }
        for a in &anomalies {
            let subject = format!("anomaly:{}:{}:{}", a.dimension, a.key, a.kind.as_str());
            let since = (a.date - Duration::days(ANOMALY_COOLDOWN_DAYS - 1)).to_string();
            if alerts::raised_since(tx, &subject, &since)? {
                continue;
            }
            let new = NewAlert {
                kind: "anomaly",
                period_start: Some(a.date.to_string()),
                period_end: Some((a.date + Duration::days(1)).to_string()),
                dedup_key: format!("{subject}:{}", a.date),
                subject,
                message: format!("{} {} on {}: {}", a.dimension, a.key, a.date, a.reason),
                ..NewAlert::default()
            };
            raised.extend(alerts::raise(tx, &new, webhook, &stamp)?);
        }
        // Resolve what no longer applies.
        for alert in alerts::unresolved(tx)? {
            let end: Option<chrono::NaiveDate> =
                alert.period_end.as_deref().and_then(|d| d.parse().ok());
            let note = match (alert.kind.as_str(), end) {
                ("anomaly", Some(end)) if end + Duration::days(ANOMALY_STALE_DAYS) <= today => {
                    Some("resolved automatically a week after the anomaly")
                }
                ("threshold" | "forecast", Some(end)) if end <= today => {
                    Some("the budget period ended")
                }
                ("forecast", _) => statuses
                    .iter()
                    .find(|s| Some(s.budget.id) == alert.budget_id)
                    .filter(|s| {
                        !s.projected_over()
                            && Some(s.period.start.to_string()) == alert.period_start
                    })
                    .map(|_| "no longer projected to go over"),
                _ => None,
            };
            if let Some(note) = note {
                alerts::transition(tx, alert.id, AlertState::Resolved, note, &stamp)?;
            }
        }
        Ok(raised)
    })
}
