//! Daily spend forecasts. With three weeks of history or more: MSTL (weekly seasonal-trend decomposition by
//! LOESS) and an automatically selected exponential-smoothing model (AutoETS) for the deseasonalised series,
//! from the `augurs` crates, fitted on log(spend + offset) so the weekly pattern and the noise are
//! multiplicative, as spend is. With less: the recent average, said so plainly. Pure: data in, numbers out.

use augurs_core::{Fit, Predict};
use augurs_ets::AutoETS;
use augurs_mstl::MSTLModel;
use serde::Serialize;

/// Days of history needed for the seasonal model (MSTL needs two full weeks; a third keeps ETS honest).
pub const MIN_SEASONAL_DAYS: usize = 21;
/// Days of history used at most (older behaviour says little about next month).
pub const MAX_HISTORY_DAYS: usize = 182;
const WEEK: usize = 7;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyForecast {
    /// `mstl+ets(MODEL)`, `recent-average` or `none`.
    pub method: String,
    /// Days of history the forecast was made from.
    pub history_days: usize,
    /// Point forecasts, dollars per day, one per day ahead.
    pub point: Vec<f64>,
    /// The prediction interval's bounds at `level`.
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub level: f64,
    /// Why a simpler method was used, when it was.
    pub note: Option<String>,
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The recent average, for short histories: flat, with the spread of the recent days as its interval.
fn recent_average(history: &[f64], horizon: usize, level: f64, note: String) -> DailyForecast {
    if history.is_empty() {
        return DailyForecast {
            method: "none".into(),
            history_days: 0,
            point: vec![0.0; horizon],
            lower: vec![0.0; horizon],
            upper: vec![0.0; horizon],
            level,
            note: Some("no spend history yet: nothing to project from".into()),
        };
    }
    let recent = &history[history.len().saturating_sub(WEEK)..];
    let mean = recent.iter().sum::<f64>() / recent.len() as f64;
    let mut sorted: Vec<f64> = history.to_vec();
    sorted.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    let (lo, hi) = if history.len() >= 5 {
        (quantile(&sorted, tail), quantile(&sorted, 1.0 - tail))
    } else {
        // Too few days to measure a spread: a deliberately wide band.
        (0.0, mean * 2.0)
    };
    DailyForecast {
        method: "recent-average".into(),
        history_days: history.len(),
        point: vec![mean; horizon],
        lower: vec![lo.min(mean).max(0.0); horizon],
        upper: vec![hi.max(mean); horizon],
        level,
        note: Some(note),
    }
}

/// Point forecast and interval bounds, in the model's scale.
struct Band {
    point: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

fn fit_predict(series: &[f64], horizon: usize, level: f64) -> Result<Band, String> {
    let ets = AutoETS::non_seasonal().into_trend_model();
    let model = MSTLModel::new(vec![WEEK], ets);
    let fitted = model.fit(series).map_err(|e| e.to_string())?;
    let forecast = fitted.predict(horizon, level).map_err(|e| e.to_string())?;
    let intervals = forecast
        .intervals
        .ok_or_else(|| "the model gave no interval".to_string())?;
    let band = Band {
        point: forecast.point,
        lower: intervals.lower,
        upper: intervals.upper,
    };
    let finite = band
        .point
        .iter()
        .chain(&band.lower)
        .chain(&band.upper)
        .all(|v| v.is_finite());
    if !finite
        || band.point.len() != horizon
        || band.lower.len() != horizon
        || band.upper.len() != horizon
    {
        return Err("the model's forecast is not finite".into());
    }
    Ok(band)
}

/// How much to widen the model's interval so it would have covered `level` of the recent past: the model's
/// bounds come from the deseasonalised series, whose variance the decomposition understates. Measured on up
/// to three held-out fortnights at the end of the history; never narrows.
fn calibration(series: &[f64], level: f64) -> f64 {
    const HOLDOUT: usize = 14;
    let mut ratios = Vec::new();
    for back in [HOLDOUT, HOLDOUT + WEEK, HOLDOUT + 2 * WEEK] {
        let Some(origin) = series.len().checked_sub(back) else {
            continue;
        };
        if origin < MIN_SEASONAL_DAYS {
            continue;
        }
        let Ok(band) = fit_predict(&series[..origin], HOLDOUT, level) else {
            continue;
        };
        for h in 0..HOLDOUT {
            let actual = series[origin + h];
            let half = if actual >= band.point[h] {
                band.upper[h] - band.point[h]
            } else {
                band.point[h] - band.lower[h]
            };
            if half > 0.0 {
                ratios.push((actual - band.point[h]).abs() / half);
            }
        }
    }
    if ratios.len() < HOLDOUT {
        return 1.0;
    }
    ratios.sort_by(f64::total_cmp);
    quantile(&ratios, level).clamp(1.0, 3.0)
}

type FitKey = (Vec<u64>, u64);
/// A fit and when it was last asked for (a counter of lookups).
type FitCache = std::collections::HashMap<FitKey, (Result<DailyForecast, String>, u64)>;

/// Fits kept by their exact inputs (history, level): a fit costs tens of milliseconds, and the dashboard, each
/// budget and the alert engine ask for the same history again and again within a day. The model is a pure
/// function of these inputs, so a kept fit is the answer a new one would give.
static FITS: std::sync::Mutex<(Option<FitCache>, u64)> = std::sync::Mutex::new((None, 0));
/// Enough for hundreds of budgets (each entry is a few kilobytes); when full, the least recently used half goes.
const MAX_KEPT_FITS: usize = 1024;
/// Every fit forecasts at least this many days (the longest period, a month), so that budgets of a day, a
/// week and a month over the same history share one fit: a forecast's first days do not depend on how many
/// follow, and a shorter horizon takes the first days of the kept one.
const MIN_FIT_HORIZON: usize = 31;

fn truncated(fit: &Result<DailyForecast, String>, horizon: usize) -> Result<DailyForecast, String> {
    fit.as_ref().map_err(Clone::clone).map(|f| DailyForecast {
        point: f.point[..horizon].to_vec(),
        lower: f.lower[..horizon].to_vec(),
        upper: f.upper[..horizon].to_vec(),
        ..f.clone()
    })
}

fn seasonal_memo(history: &[f64], horizon: usize, level: f64) -> Result<DailyForecast, String> {
    let key: FitKey = (
        history.iter().map(|v| v.to_bits()).collect(),
        level.to_bits(),
    );
    {
        let mut guard = FITS.lock().unwrap_or_else(|p| p.into_inner());
        guard.1 += 1;
        let tick = guard.1;
        if let Some((kept, used)) = guard.0.as_mut().and_then(|fits| fits.get_mut(&key)) {
            if kept.as_ref().map_or(true, |f| f.point.len() >= horizon) {
                *used = tick;
                return truncated(kept, horizon);
            }
        }
    }
    let fitted = seasonal(history, horizon.max(MIN_FIT_HORIZON), level);
    let answer = truncated(&fitted, horizon);
    let mut guard = FITS.lock().unwrap_or_else(|p| p.into_inner());
    let tick = guard.1;
    let fits = guard.0.get_or_insert_with(Default::default);
    if fits.len() >= MAX_KEPT_FITS {
        let mut ticks: Vec<u64> = fits.values().map(|(_, used)| *used).collect();
        let (_, median, _) = ticks.select_nth_unstable(MAX_KEPT_FITS / 2);
        let median = *median;
        fits.retain(|_, (_, used)| *used > median);
    }
    fits.insert(key, (fitted, tick));
    answer
}

fn seasonal(history: &[f64], horizon: usize, level: f64) -> Result<DailyForecast, String> {
    let mean = history.iter().sum::<f64>() / history.len() as f64;
    let zeros = history.iter().filter(|v| **v <= 0.0).count();
    // Logs make the weekly pattern multiplicative; with many idle days they would exaggerate them, so fit raw.
    let log_scale = zeros * 5 <= history.len() && mean > 0.0;
    let offset = (mean * 0.05).max(1e-9);
    let series: Vec<f64> = if log_scale {
        history.iter().map(|v| (v.max(0.0) + offset).ln()).collect()
    } else {
        history.to_vec()
    };
    let band = fit_predict(&series, horizon, level)?;
    let widen = calibration(&series, level);
    let back = |v: f64| {
        if log_scale {
            (v.exp() - offset).max(0.0)
        } else {
            v.max(0.0)
        }
    };
    let lower = band
        .point
        .iter()
        .zip(&band.lower)
        .map(|(p, l)| back(p - widen * (p - l)));
    let upper = band
        .point
        .iter()
        .zip(&band.upper)
        .map(|(p, u)| back(p + widen * (u - p)));
    Ok(DailyForecast {
        method: format!("mstl+ets{}", if log_scale { " (log scale)" } else { "" }),
        history_days: history.len(),
        point: band.point.iter().map(|v| back(*v)).collect(),
        lower: lower.collect(),
        upper: upper.collect(),
        level,
        note: (widen > 1.0).then(|| {
            format!("interval widened {widen:.2}x to match how the model did on the last held-out weeks")
        }),
    })
}

/// Forecasts `horizon` days after `history` (daily spend in dollars, oldest first, the last day complete) with
/// a prediction interval at `level` (e.g. 0.8).
pub fn forecast_daily(history: &[f64], horizon: usize, level: f64) -> DailyForecast {
    let history = &history[history.len().saturating_sub(MAX_HISTORY_DAYS)..];
    // Leading days before any usage are not history.
    let first_use = history
        .iter()
        .position(|v| *v > 0.0)
        .unwrap_or(history.len());
    let history = &history[first_use..];
    if history.len() < MIN_SEASONAL_DAYS {
        return recent_average(
            history,
            horizon,
            level,
            format!(
                "only {} day(s) of history (the seasonal model needs {MIN_SEASONAL_DAYS}): projected at the \
                 average of the last {} day(s); weekly pattern and trend are not modelled",
                history.len(),
                history.len().min(WEEK)
            ),
        );
    }
    match seasonal_memo(history, horizon, level) {
        Ok(forecast) => forecast,
        Err(reason) => recent_average(
            history,
            horizon,
            level,
            format!("the seasonal model could not be fitted ({reason}): projected at the recent average"),
        ),
    }
}
