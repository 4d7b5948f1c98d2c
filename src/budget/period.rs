//! Budget periods: a local day, a week starting Monday, or a month-long billing cycle starting on a chosen day,
//! all in an IANA zone. A cycle day past a month's end starts that month's cycle on its last day (a cycle on
//! the 31st starts on 28 or 29 February). Local midnights that a DST change skips start at the first instant
//! that exists after them; ambiguous ones at the earlier instant, so consecutive periods never overlap or gap.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Day,
    Week,
    Month,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Result<PeriodKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(PeriodKind::Day),
            "week" | "weekly" => Ok(PeriodKind::Week),
            "month" | "monthly" => Ok(PeriodKind::Month),
            other => Err(Error::InvalidInput(format!(
                "unknown period {other:?} (use day, week or month)"
            ))),
        }
    }
}

/// One budget period: local dates [start, end) and the UTC instants they begin at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    pub start_utc: DateTime<Utc>,
    pub end_utc: DateTime<Utc>,
}

impl Period {
    /// Whole local days in the period.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }
}

/// The first instant of local date `date` in `tz`.
pub fn local_midnight(tz: &Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut local = date.and_time(NaiveTime::MIN);
    // A skipped midnight (e.g. America/Santiago's spring change): walk forward to the first existing minute.
    for _ in 0..(24 * 60) {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(1);
    }
    date.and_time(NaiveTime::MIN).and_utc()
}

/// The local date of `instant` in `tz`.
pub fn local_date(tz: &Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(tz).date_naive()
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// The day a cycle starting on `cycle_day` starts in the given month (clamped to the month's last day).
fn cycle_start_in(year: i32, month: u32, cycle_day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, cycle_day.clamp(1, days_in_month(year, month)))
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

/// The local dates [start, end) of the period that contains `date`.
pub fn period_dates(
    kind: PeriodKind,
    cycle_day: u32,
    date: NaiveDate,
) -> Result<(NaiveDate, NaiveDate)> {
    let out_of_range = || Error::InvalidInput(format!("{date} is out of the supported date range"));
    match kind {
        PeriodKind::Day => Ok((date, date.succ_opt().ok_or_else(out_of_range)?)),
        PeriodKind::Week => {
            let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            Ok((start, start + Duration::days(7)))
        }
        PeriodKind::Month => {
            if !(1..=31).contains(&cycle_day) {
                return Err(Error::InvalidInput(format!(
                    "a billing cycle day must be between 1 and 31, not {cycle_day}"
                )));
            }
            let this =
                cycle_start_in(date.year(), date.month(), cycle_day).ok_or_else(out_of_range)?;
            let (start_ym, end_ym) = if date >= this {
                (
                    (date.year(), date.month()),
                    next_month(date.year(), date.month()),
                )
            } else {
                (
                    previous_month(date.year(), date.month()),
                    (date.year(), date.month()),
                )
            };
            let start =
                cycle_start_in(start_ym.0, start_ym.1, cycle_day).ok_or_else(out_of_range)?;
            let end = cycle_start_in(end_ym.0, end_ym.1, cycle_day).ok_or_else(out_of_range)?;
            Ok((start, end))
        }
    }
}

/// The period of `kind` that contains `now`, in `tz`.
pub fn period_at(kind: PeriodKind, cycle_day: u32, tz: &Tz, now: DateTime<Utc>) -> Result<Period> {
    let (start, end) = period_dates(kind, cycle_day, local_date(tz, now))?;
    Ok(Period {
        start,
        end,
        start_utc: local_midnight(tz, start),
        end_utc: local_midnight(tz, end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn cycle_on_the_31st_starts_on_the_last_day_of_short_months() {
        assert_eq!(
            period_dates(PeriodKind::Month, 31, d(2025, 2, 15)).unwrap(),
            (d(2025, 1, 31), d(2025, 2, 28))
        );
        assert_eq!(
            period_dates(PeriodKind::Month, 31, d(2025, 2, 28)).unwrap(),
            (d(2025, 2, 28), d(2025, 3, 31))
        );
    }

    #[test]
    fn a_week_starts_on_monday() {
        assert_eq!(
            period_dates(PeriodKind::Week, 1, d(2025, 3, 30)).unwrap(),
            (d(2025, 3, 24), d(2025, 3, 31))
        );
    }
}
