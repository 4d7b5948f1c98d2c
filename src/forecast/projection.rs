//! Spend to the end of a period: what is spent (exact) plus the forecast of the rest of today and of the days
//! left, with an interval, and the day a budget is projected to run out. Pure: the clock and data come in.
//!
//! The period interval adds the daily bounds, i.e. treats the days' errors as moving together. That is the
//! widest reasonable reading (ETS's bounds already widen with the horizon for the level's drift); it is kept
//! because an under-wide interval on a budget is the worse mistake.

use chrono::{Duration, NaiveDate};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

use super::model::{forecast_daily, DailyForecast};
use crate::money::Money;

/// The prediction interval's coverage.
pub const LEVEL: f64 = 0.8;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodProjection {
    pub period_start: NaiveDate,
    /// Exclusive.
    pub period_end: NaiveDate,
    pub spent: Money,
    pub projected: Money,
    pub lower: Money,
    pub upper: Money,
    pub level: f64,
    pub budget: Option<Money>,
    /// The first local day on which spend is projected to reach the budget, within the period.
    pub exhaustion_date: Option<NaiveDate>,
    pub projected_over: bool,
    pub method: String,
    pub history_days: usize,
    /// First and last day of the history used.
    pub history_from: Option<NaiveDate>,
    pub history_to: Option<NaiveDate>,
    pub note: Option<String>,
    /// The daily forecast behind the projection, from today on.
    #[serde(skip)]
    pub daily: DailyForecast,
}

/// Dollars as money, rounded to the nano-dollar (forecasts only; never used for recorded spend).
pub fn money_from_f64(dollars: f64) -> Money {
    Decimal::from_f64(dollars)
        .and_then(Money::from_dollars)
        .unwrap_or(Money::ZERO)
}

/// What a projection needs.
#[derive(Debug, Clone)]
pub struct ProjectionInput<'a> {
    /// Daily spend of complete days before `today`, oldest first, without gaps.
    pub history: &'a [(NaiveDate, Money)],
    pub today: NaiveDate,
    /// How much of today has passed, 0..=1.
    pub today_elapsed: f64,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Spend so far in the period, today's included.
    pub spent: Money,
    pub budget: Option<Money>,
}

pub fn project_period(input: &ProjectionInput<'_>) -> PeriodProjection {
    let values: Vec<f64> = input.history.iter().map(|(_, m)| m.as_f64()).collect();
    let horizon = usize::try_from((input.period_end - input.today).num_days()).unwrap_or(0);
    let daily = forecast_daily(&values, horizon.max(1), LEVEL);
    let remaining_today = (1.0 - input.today_elapsed).clamp(0.0, 1.0);
    let mut point = 0.0;
    let mut lower = 0.0;
    let mut upper = 0.0;
    let budget = input.budget.map(Money::as_f64);
    let spent = input.spent.as_f64();
    let mut exhaustion_date = match budget {
        Some(b) if spent >= b => Some(input.today),
        _ => None,
    };
    for day in 0..horizon {
        let weight = if day == 0 { remaining_today } else { 1.0 };
        point += daily.point[day] * weight;
        lower += daily.lower[day] * weight;
        upper += daily.upper[day] * weight;
        if let (Some(b), None) = (budget, exhaustion_date) {
            if spent + point >= b {
                exhaustion_date = Some(input.today + Duration::days(day as i64));
            }
        }
    }
    let projected = input.spent + money_from_f64(point);
    let used = daily.history_days.min(input.history.len());
    let history_used = &input.history[input.history.len() - used..];
    PeriodProjection {
        period_start: input.period_start,
        period_end: input.period_end,
        spent: input.spent,
        projected,
        lower: input.spent + money_from_f64(lower),
        upper: input.spent + money_from_f64(upper),
        level: LEVEL,
        budget: input.budget,
        exhaustion_date,
        projected_over: input.budget.is_some_and(|b| projected > b),
        method: daily.method.clone(),
        history_days: daily.history_days,
        history_from: history_used.first().map(|(d, _)| *d),
        history_to: history_used.last().map(|(d, _)| *d),
        note: daily.note.clone(),
        daily,
    }
}
