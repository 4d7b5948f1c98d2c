//! Anomaly detection on 180 days of synthetic spend per model with injected 2x-5x spikes: recall, and false
//! alarms per 90 clean days. Run with `scripts/backtest-forecast` to see the figures.

use chrono::{Duration, NaiveDate};
use tallyvault::forecast::anomaly::{detect, AnomalyKind};
use tallyvault::forecast::DailyRow;
use tallyvault::money::Money;

use crate::forecast::{synthetic, Rng, SEEDS};

const DAYS: usize = 180;
/// Days before detection starts: three same-weekday values make a baseline.
const WARM_UP: usize = 21;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 6).unwrap()
}

fn row(date: NaiveDate, model: &str, dollars: f64, cache_share: f64, unpriced: i64) -> DailyRow {
    let tokens = (dollars * 100_000.0) as u64;
    DailyRow {
        date,
        provider: format!("provider-of-{model}"),
        model: model.to_string(),
        cost: Money::from_nanos((dollars * 1e9) as i64),
        requests: 100,
        tokens,
        cache_read: (tokens as f64 * cache_share) as u64,
        unpriced_requests: unpriced,
    }
}

struct Outcome {
    spikes: usize,
    caught: usize,
    clean_days: usize,
    false_alarms: usize,
}

/// Three models per seed, each with about eight spikes of 2x-5x on random days after the warm-up.
fn run(seed: u64) -> Outcome {
    let mut rng = Rng::new(seed * 7919);
    let mut rows = Vec::new();
    let mut spike_days = Vec::new();
    for m in 0..3 {
        let model = format!("model-{m}");
        let mut series = synthetic(seed * 100 + m, DAYS);
        for _ in 0..8 {
            let day = WARM_UP + (rng.uniform() * (DAYS - WARM_UP) as f64) as usize;
            let factor = 2.0 + 3.0 * rng.uniform();
            if !spike_days.contains(&(model.clone(), day)) {
                series[day] *= factor;
                spike_days.push((model.clone(), day));
            }
        }
        for (day, dollars) in series.iter().enumerate() {
            let share = 0.6 + 0.05 * rng.normal();
            rows.push(row(
                start() + Duration::days(day as i64),
                &model,
                *dollars,
                share,
                0,
            ));
        }
    }
    let from = start() + Duration::days(WARM_UP as i64);
    let to = start() + Duration::days(DAYS as i64);
    let found = detect(&rows, from, to);
    let mut out = Outcome {
        spikes: spike_days.len(),
        caught: 0,
        clean_days: 3 * (DAYS - WARM_UP) - spike_days.len(),
        false_alarms: 0,
    };
    for a in found.iter().filter(|a| a.dimension == "model") {
        let day = (a.date - start()).num_days() as usize;
        if spike_days.contains(&(a.key.clone(), day)) {
            if a.kind == AnomalyKind::CostSpike {
                out.caught += 1;
            }
        } else {
            out.false_alarms += 1;
        }
    }
    out
}

#[test]
fn spikes_are_caught_and_clean_days_stay_quiet() {
    let (mut spikes, mut caught, mut clean, mut false_alarms) = (0, 0, 0, 0);
    for seed in SEEDS {
        let o = run(seed);
        let per_90 = o.false_alarms as f64 * 90.0 / o.clean_days as f64;
        println!(
            "seed {seed}: recall {}/{} = {:.2}, {} false alarm(s) in {} clean model-days = {per_90:.2} per 90 days",
            o.caught,
            o.spikes,
            o.caught as f64 / o.spikes as f64,
            o.false_alarms,
            o.clean_days
        );
        assert!(
            o.caught as f64 >= 0.9 * o.spikes as f64,
            "seed {seed}: recall below 0.9"
        );
        assert!(
            per_90 <= 1.0,
            "seed {seed}: {per_90:.2} false alarms per 90 clean days"
        );
        spikes += o.spikes;
        caught += o.caught;
        clean += o.clean_days;
        false_alarms += o.false_alarms;
    }
    println!(
        "all seeds: recall {:.3}, {:.2} false alarms per 90 clean days",
        caught as f64 / spikes as f64,
        false_alarms as f64 * 90.0 / clean as f64
    );
}

#[test]
fn each_anomaly_says_how_far_from_normal_and_why() {
    let mut rows = Vec::new();
    for day in 0..42 {
        let date = start() + Duration::days(day);
        let spiky = if day == 35 {
            40.0
        } else {
            10.0 + (day % 3) as f64
        };
        rows.push(row(date, "steady", spiky, 0.6, 0));
        let share = if day == 36 { 0.05 } else { 0.7 };
        rows.push(row(date, "cached", 10.0, share, 0));
        if day == 37 {
            rows.push(row(date, "mystery-model", 0.0, 0.0, 12));
        }
    }
    let found = detect(
        &rows,
        start() + Duration::days(28),
        start() + Duration::days(42),
    );
    let spike = found
        .iter()
        .find(|a| a.key == "steady" && a.kind == AnomalyKind::CostSpike)
        .expect("the 4x day is a cost spike");
    assert_eq!(spike.date, start() + Duration::days(35));
    assert!(spike.ratio > 3.0 && spike.score >= 4.0, "{spike:?}");
    assert!(
        spike.reason.contains("the usual") && spike.reason.contains("Monday"),
        "{}",
        spike.reason
    );
    let drop = found
        .iter()
        .find(|a| a.key == "cached" && a.kind == AnomalyKind::CacheReadDrop)
        .expect("cache reads falling from 70% to 5% is flagged");
    assert!(
        drop.reason.contains("cache reads were 5%"),
        "{}",
        drop.reason
    );
    let new = found
        .iter()
        .find(|a| a.kind == AnomalyKind::NewUnpricedModel)
        .expect("a new unpriced model is flagged");
    assert_eq!(new.key, "mystery-model");
    assert!(new.reason.contains("no known price"));
    let unexpected: Vec<_> = found
        .iter()
        .filter(|a| a.dimension == "model")
        .filter(|a| ![35, 36, 37].contains(&(a.date - start()).num_days()))
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}
