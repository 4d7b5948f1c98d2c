//! Anomalies in daily spend per provider and per model, against a robust seasonal baseline: the median and the
//! MAD of the same weekday over the trailing weeks. A day fires when it is far from that baseline both in
//! robust standard deviations and in ratio, so neither a flat series (MAD near 0) nor a noisy one cries wolf.
//! Pure: rows in, anomalies out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::history::DailyRow;

/// Same-weekday values looked back at.
pub const BASELINE_WEEKS: i64 = 8;
/// Days whose ratio to their own baseline gives the recent level (the last half) and the scale (all).
pub const LEVEL_DAYS: i64 = 28;
/// Fewer same-weekday values than this and a key is too new to judge.
pub const MIN_BASELINE_POINTS: usize = 3;
/// Robust z-score that fires.
pub const Z_THRESHOLD: f64 = 3.5;
/// A spike must also be this many times the baseline; a drop this fraction of it.
pub const SPIKE_RATIO: f64 = 1.5;
pub const DROP_RATIO: f64 = 0.5;
/// Dollars: smaller excesses are not worth a notification.
pub const MIN_EXCESS_DOLLARS: f64 = 0.5;
/// Days a new unpriced model must have been absent to count as new.
const NEW_MODEL_DAYS: i64 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    CostSpike,
    UsageSurge,
    CacheReadDrop,
    NewUnpricedModel,
}

impl AnomalyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::CostSpike => "cost_spike",
            AnomalyKind::UsageSurge => "usage_surge",
            AnomalyKind::CacheReadDrop => "cache_read_drop",
            AnomalyKind::NewUnpricedModel => "new_unpriced_model",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    pub date: NaiveDate,
    /// `provider` or `model`.
    pub dimension: &'static str,
    pub key: String,
    pub kind: AnomalyKind,
    pub value: f64,
    /// The baseline's median.
    pub baseline: f64,
    /// Robust z-score: (value - median) / (1.4826 × MAD), with a floor on the scale.
    pub score: f64,
    /// value / baseline.
    pub ratio: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default)]
struct Day {
    cost: f64,
    tokens: f64,
    cache_read: f64,
    unpriced: i64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Median and robust scale (1.4826 × MAD) of `values`.
pub fn robust_baseline(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    let med = median(&mut v);
    let mut deviations: Vec<f64> = values.iter().map(|x| (x - med).abs()).collect();
    (med, 1.4826 * median(&mut deviations))
}

struct Series<'a> {
    dimension: &'static str,
    key: &'a str,
    days: BTreeMap<NaiveDate, Day>,
    first: NaiveDate,
}

impl Series<'_> {
    fn day(&self, date: NaiveDate) -> Day {
        self.days.get(&date).copied().unwrap_or_default()
    }

    /// Same-weekday values before `date`, from the key's first day on.
    fn baseline(&self, date: NaiveDate, pick: impl Fn(&Day) -> Option<f64>) -> Vec<f64> {
        (1..=BASELINE_WEEKS)
            .map(|k| date - Duration::weeks(k))
            .filter(|d| *d >= self.first)
            .filter_map(|d| pick(&self.day(d)))
            .collect()
    }

    fn anomaly(
        &self,
        date: NaiveDate,
        kind: AnomalyKind,
        value: f64,
        baseline: f64,
        score: f64,
        reason: String,
    ) -> Anomaly {
        Anomaly {
            date,
            dimension: self.dimension,
            key: self.key.to_string(),
            kind,
            value,
            baseline,
            score,
            ratio: if baseline > 0.0 {
                value / baseline
            } else {
                f64::INFINITY
            },
            reason,
        }
    }

    /// What `pick` is expected to be on `date`: the same-weekday median, moved by the recent level (the
    /// median ratio of the last two weeks' days to their own same-weekday medians, so a trend or a lasting
    /// change of habits does not read as an anomaly), and a robust scale from four weeks of those ratios
    /// (pooled across weekdays: steadier than eight same-weekday values).
    fn expected(
        &self,
        date: NaiveDate,
        pick: impl Fn(&Day) -> f64 + Copy,
    ) -> Option<(f64, f64, usize)> {
        let base = self.baseline(date, |d| Some(pick(d)));
        if base.len() < MIN_BASELINE_POINTS {
            return None;
        }
        let (med, mad_scale) = robust_baseline(&base);
        let mut recent = Vec::new();
        let mut ratios = Vec::new();
        for back in 1..=LEVEL_DAYS {
            let day = date - Duration::days(back);
            let day_base = self.baseline(day, |d| Some(pick(d)));
            if day_base.len() < MIN_BASELINE_POINTS {
                continue;
            }
            let (day_med, _) = robust_baseline(&day_base);
            if day_med > 0.0 {
                let r = pick(&self.day(day)) / day_med;
                ratios.push(r);
                if back <= LEVEL_DAYS / 2 {
                    recent.push(r);
                }
            }
        }
        if ratios.len() < 7 || recent.is_empty() {
            return Some((med, mad_scale.max(0.1 * med), base.len()));
        }
        let (level, _) = robust_baseline(&recent);
        let (_, rel_scale) = robust_baseline(&ratios);
        let value = med * level.clamp(0.5, 2.0);
        Some((value, rel_scale.max(0.1) * value, base.len()))
    }

    fn check(&self, date: NaiveDate, out: &mut Vec<Anomaly>) {
        let today = self.day(date);
        let weekday = date.format("%A");
        let mut fired_cost = false;
        if let Some((med, scale, points)) = self.expected(date, |d| d.cost) {
            let scale = scale.max(0.01);
            let z = (today.cost - med) / scale;
            if z >= Z_THRESHOLD
                && today.cost >= SPIKE_RATIO * med
                && today.cost - med >= MIN_EXCESS_DOLLARS
            {
                fired_cost = true;
                out.push(self.anomaly(date, AnomalyKind::CostSpike, today.cost, med, z, format!(
                    "spent ${:.2}, {:.1}x the usual ${:.2} for a {weekday} (the last {} {weekday}s, moved by the recent level), \
                     {z:.1} robust standard deviations above it",
                    today.cost, today.cost / med.max(1e-9), med, points
                )));
            }
        }
        if let (false, Some((med, scale, _))) = (fired_cost, self.expected(date, |d| d.tokens)) {
            let scale = scale.max(1.0);
            let z = (today.tokens - med) / scale;
            if z >= Z_THRESHOLD && today.tokens >= SPIKE_RATIO * med && med > 0.0 {
                out.push(self.anomaly(date, AnomalyKind::UsageSurge, today.tokens, med, z, format!(
                    "{:.0} tokens, {:.1}x the usual {med:.0} for a {weekday}, {z:.1} robust standard deviations above",
                    today.tokens, today.tokens / med
                )));
            }
        }
        let share = |d: &Day| (d.tokens > 0.0).then(|| d.cache_read / d.tokens);
        let share_base = self.baseline(date, share);
        if let (Some(now), true) = (share(&today), share_base.len() >= MIN_BASELINE_POINTS) {
            let (med, scale) = robust_baseline(&share_base);
            let scale = scale.max(0.05 * med).max(0.01);
            let z = (now - med) / scale;
            if med >= 0.3 && now <= DROP_RATIO * med && z <= -Z_THRESHOLD {
                out.push(self.anomaly(date, AnomalyKind::CacheReadDrop, now, med, z, format!(
                    "cache reads were {:.0}% of tokens against a usual {:.0}% on {weekday}s: prompt caching may have \
                     stopped working",
                    now * 100.0, med * 100.0
                )));
            }
        }
        if self.dimension == "model" && today.unpriced > 0 {
            let seen_before =
                (1..=NEW_MODEL_DAYS).any(|k| self.day(date - Duration::days(k)).unpriced > 0);
            if !seen_before {
                out.push(self.anomaly(date, AnomalyKind::NewUnpricedModel, today.unpriced as f64, 0.0, 0.0, format!(
                    "{} request(s) to a model with no known price: its spend is not counted until it is priced \
                     (`tallyvault prices set {}`)",
                    today.unpriced, self.key
                )));
            }
        }
    }
}

/// Anomalies on the local dates [from, to), judged against the rows before each date. `rows` should reach back
/// [`BASELINE_WEEKS`] weeks before `from`.
pub fn detect(rows: &[DailyRow], from: NaiveDate, to: NaiveDate) -> Vec<Anomaly> {
    let mut keyed: BTreeMap<(&'static str, &str), BTreeMap<NaiveDate, Day>> = BTreeMap::new();
    for row in rows {
        for (dimension, key) in [
            ("provider", row.provider.as_str()),
            ("model", row.model.as_str()),
        ] {
            let day = keyed
                .entry((dimension, key))
                .or_default()
                .entry(row.date)
                .or_default();
            day.cost += row.cost.as_f64();
            day.tokens += row.tokens as f64;
            day.cache_read += row.cache_read as f64;
            day.unpriced += row.unpriced_requests;
        }
    }
    let dates: BTreeSet<NaiveDate> = from.iter_days().take_while(|d| *d < to).collect();
    let mut out = Vec::new();
    for ((dimension, key), days) in &keyed {
        let Some(first) = days.keys().next().copied() else {
            continue;
        };
        let series = Series {
            dimension,
            key,
            days: days.clone(),
            first,
        };
        for date in &dates {
            series.check(*date, &mut out);
        }
    }
    out.sort_by(|a, b| {
        a.date
            .cmp(&b.date)
            .then_with(|| a.dimension.cmp(b.dimension))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}
