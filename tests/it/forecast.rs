//! Forecast backtest: synthetic daily spend (weekly seasonality of ±30%, a trend, 15% multiplicative noise),
//! forecast 14 days ahead from a rolling origin, scored against the seasonal-naive baseline. Run with
//! `scripts/backtest-forecast` to see the figures.

use tallyvault::forecast::model::{forecast_daily, MIN_SEASONAL_DAYS};

/// SplitMix64: a small, seedable generator, so every run sees the same series.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// `days` of daily spend: level × (1 + trend) × weekly factor (±30%) × (1 + 15% noise).
pub fn synthetic(seed: u64, days: usize) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let level = 20.0 + 80.0 * rng.uniform();
    // Between -0.1% and +0.5% a day: flat-ish to growing teams.
    let trend = -0.001 + 0.006 * rng.uniform();
    let phase = rng.uniform() * 7.0;
    (0..days)
        .map(|t| {
            let season = 1.0 + 0.3 * (2.0 * std::f64::consts::PI * (t as f64 + phase) / 7.0).sin();
            let noise = (1.0 + 0.15 * rng.normal()).max(0.05);
            level * (1.0 + trend * t as f64).max(0.1) * season * noise
        })
        .collect()
}

pub struct Score {
    pub mape: f64,
    pub naive_mape: f64,
    pub coverage: f64,
    pub points: usize,
}

/// Rolling origin: every 7 days from day `first`, forecast `horizon` days and compare.
pub fn backtest(series: &[f64], first: usize, horizon: usize) -> Score {
    let (mut ape, mut naive_ape, mut covered, mut n) = (0.0, 0.0, 0usize, 0usize);
    let mut origin = first;
    while origin + horizon <= series.len() {
        let f = forecast_daily(&series[..origin], horizon, 0.8);
        assert!(f.method.starts_with("mstl+ets"), "{}", f.method);
        for h in 0..horizon {
            let actual = series[origin + h];
            let naive = series[origin - 7 + h % 7];
            ape += ((f.point[h] - actual) / actual).abs();
            naive_ape += ((naive - actual) / actual).abs();
            if f.lower[h] <= actual && actual <= f.upper[h] {
                covered += 1;
            }
            n += 1;
        }
        origin += 7;
    }
    Score {
        mape: ape / n as f64 * 100.0,
        naive_mape: naive_ape / n as f64 * 100.0,
        coverage: covered as f64 / n as f64 * 100.0,
        points: n,
    }
}

pub const SEEDS: [u64; 6] = [1, 2, 3, 4, 5, 6];

#[test]
fn the_seasonal_model_beats_seasonal_naive_and_its_interval_covers_about_80_percent() {
    let (mut total_covered, mut total_points) = (0.0, 0usize);
    for seed in SEEDS {
        let series = synthetic(seed, 210);
        let s = backtest(&series, 56, 14);
        println!(
            "seed {seed}: 14-day-ahead MAPE {:.1}% (seasonal naive {:.1}%), 80% interval coverage {:.1}% over {} points",
            s.mape, s.naive_mape, s.coverage, s.points
        );
        assert!(
            s.mape < s.naive_mape,
            "seed {seed}: {:.1}% vs naive {:.1}%",
            s.mape,
            s.naive_mape
        );
        assert!(
            (70.0..=90.0).contains(&s.coverage),
            "seed {seed}: the 80% interval covered {:.1}%",
            s.coverage
        );
        total_covered += s.coverage * s.points as f64;
        total_points += s.points;
    }
    println!(
        "all seeds: coverage {:.1}%",
        total_covered / total_points as f64
    );
}

#[test]
fn short_history_falls_back_and_says_so() {
    let series = synthetic(9, 10);
    let f = forecast_daily(&series, 5, 0.8);
    assert_eq!(f.method, "recent-average");
    assert_eq!(f.history_days, 10);
    let note = f.note.unwrap();
    assert!(
        note.contains("only 10 day(s)") && note.contains(&MIN_SEASONAL_DAYS.to_string()),
        "{note}"
    );
    let mean = series[3..].iter().sum::<f64>() / 7.0;
    assert!((f.point[0] - mean).abs() < 1e-9, "the last week's average");
    assert!(f.lower[0] <= f.point[0] && f.point[0] <= f.upper[0]);
    let none = forecast_daily(&[], 3, 0.8);
    assert_eq!(none.method, "none");
    assert!(none.note.unwrap().contains("no spend history"));
    let idle = forecast_daily(&[0.0; 40], 3, 0.8);
    assert_eq!(idle.method, "none", "days before any usage are not history");
}

#[test]
fn idle_weekends_and_odd_values_never_panic() {
    let mut series = synthetic(11, 60);
    for (i, v) in series.iter_mut().enumerate() {
        if i % 7 >= 5 {
            *v = 0.0;
        }
    }
    let f = forecast_daily(&series, 14, 0.8);
    assert!(f
        .point
        .iter()
        .chain(&f.lower)
        .chain(&f.upper)
        .all(|v| v.is_finite() && *v >= 0.0));
    let flat = forecast_daily(&[5.0; 60], 7, 0.8);
    assert!(flat.point.iter().all(|v| v.is_finite()), "{flat:?}");
    let spiky = forecast_daily(
        &[
            0.0, 1e9, 0.0, 1e-9, 3.0, 0.0, 7.0, 1.0, 1.0, 1e6, 2.0, 0.0, 0.0, 4.0, 5.0, 1.0, 0.0,
            9.0, 1.0, 2.0, 3.0, 1.0,
        ],
        5,
        0.8,
    );
    assert!(spiky.point.iter().all(|v| v.is_finite()));
}

#[test]
fn a_kept_fit_is_the_answer_a_new_fit_gives() {
    let history: Vec<f64> = (0..60)
        .map(|d| 10.0 + (d % 7) as f64 + d as f64 * 0.1)
        .collect();
    let first = tallyvault::forecast::forecast_daily(&history, 14, 0.8);
    assert!(first.method.starts_with("mstl"), "{}", first.method);
    let again = tallyvault::forecast::forecast_daily(&history, 14, 0.8);
    assert_eq!(first, again);
    // A shorter horizon over the same history (a weekly budget beside a monthly one) is the same forecast's
    // first days.
    let week = tallyvault::forecast::forecast_daily(&history, 7, 0.8);
    assert_eq!(week.point, first.point[..7]);
    assert_eq!(week.lower, first.lower[..7]);
    assert_eq!(week.upper, first.upper[..7]);
    assert_eq!(week.method, first.method);
    let mut other = history.clone();
    if let Some(last) = other.last_mut() {
        *last += 50.0;
    }
    assert_ne!(
        tallyvault::forecast::forecast_daily(&other, 14, 0.8),
        first,
        "another history is fitted anew, not served from the kept fits"
    );
}
