//! The desktop dashboard's latency on a store of 1,000,000 usage records (issue 6's goal: p95 <= 50 ms), and the
//! usage explorer's first page. A timed loop, not criterion: the figure wanted is a percentile of whole calls.
//! Run: `cargo bench --bench dashboard` (or `scripts/bench-desktop`). `TALLYVAULT_BENCH_RECORDS` changes the size.
//!
//! The records span a year, one every ~31 s, the way one heavy user's agents write them: each hour works on
//! one project with two or three models out of eight, from two sources and two providers (about three hourly
//! rollup rows an hour). What is timed is what the `dashboard` command does: `dashboard::load` (today, week,
//! month, the month's forecast over six months of history, budgets, open alerts, the daily series) and the
//! chart drawn as SVG.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tallyvault::budget::{self, budgets, BudgetSpec, PeriodKind};
use tallyvault::chart::{self, Breakdown, Theme};
use tallyvault::dashboard::{self, DashboardQuery};
use tallyvault::money::Money;
use tallyvault::pricing::TokenCounts;
use tallyvault::report::explore::{self, ExploreQuery};
use tallyvault::store::Store;
use tallyvault::usage::{self, Conflict, CostOrigin, UsageRecord};

const MODELS: [(&str, &str, &str); 8] = [
    ("claude-code", "anthropic", "claude-sonnet-4-20250514"),
    ("claude-code", "anthropic", "claude-opus-4-20250514"),
    ("claude-code", "anthropic", "claude-3-5-haiku-20241022"),
    ("claude-code", "anthropic", "claude-opus-4-1-20250805"),
    ("codex", "openai", "gpt-5"),
    ("codex", "openai", "gpt-5-mini"),
    ("codex", "openai", "gpt-5-codex"),
    ("codex", "openai", "o3"),
];

fn fill(store: &Store, records: usize, end_ms: i64) {
    let span_ms: i64 = 365 * 86_400_000;
    let step = span_ms / records as i64;
    let start = end_ms - span_ms;
    let mut batch = Vec::with_capacity(50_000);
    for i in 0..records {
        let ts = start + i as i64 * step;
        let hour = ts / 3_600_000;
        let (source, provider, model) = MODELS[((hour % 3) as usize * 3 + i % 3) % MODELS.len()];
        let cost = Money::from_nanos(1_000_000 + (i as i64 * 7_919) % 40_000_000);
        batch.push(UsageRecord {
            id: usage::record_id(&[b"bench", &(i as u64).to_be_bytes()]),
            source: source.into(),
            provider: provider.into(),
            model: model.into(),
            project: format!("project-{}", (hour / 5) % 8),
            session: format!("session-{}", hour / 3),
            ts_ms: ts,
            tokens: TokenCounts {
                input: 1_000 + (i as u64 % 5_000),
                output: 200 + (i as u64 % 900),
                cache_read: 20_000,
                ..TokenCounts::default()
            },
            requests: 1,
            cost: Some(cost),
            cost_origin: CostOrigin::Reported,
            reported_cost: Some(cost),
            fast: false,
            message_key: None,
            sidechain: false,
            origin_path: None,
        });
        if batch.len() == batch.capacity() || i + 1 == records {
            store
                .write(|tx| {
                    usage::upsert(tx, &batch, Conflict::Replace)?;
                    Ok(())
                })
                .expect("insert");
            batch.clear();
        }
    }
    store.write(usage::refresh_rollups).expect("rollups");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn time<T>(name: &str, runs: usize, mut f: impl FnMut() -> T) -> Duration {
    for _ in 0..3 {
        std::hint::black_box(f());
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    times.sort();
    let p95 = percentile(&times, 0.95);
    println!(
        "{name}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({runs} runs)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
    p95
}

fn main() {
    // `cargo bench` passes --bench; a filter argument is accepted and ignored. `cargo test --all-targets` and
    // nextest run bench binaries without it, to list or smoke-test them: this one only runs as a benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let records: usize = std::env::var("TALLYVAULT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let now = Utc.with_ymd_and_hms(2026, 3, 18, 14, 0, 0).unwrap();
    let started = Instant::now();
    fill(&store, records, now.timestamp_millis());
    let rollups: i64 = store
        .read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM usage_hourly", [], |r| r.get(0))?))
        .expect("count");
    println!(
        "store: {records} records, {rollups} hourly rollup rows, filled in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (name, amount, period) in [
        ("monthly", "2000", PeriodKind::Month),
        ("daily", "40", PeriodKind::Day),
    ] {
        budgets::add(
            &store,
            BudgetSpec {
                name: Some(name.into()),
                amount: Money::parse_dollars(amount),
                period: Some(period),
                ..BudgetSpec::default()
            },
            "2026-01-01T00:00:00Z",
        )
        .expect("budget");
    }
    let tz = chrono_tz::Europe::Berlin;
    budget::evaluate(&store, now, tz).expect("alerts");

    let p95 = time("dashboard command (load + SVG), 30-day chart", 200, || {
        let query = DashboardQuery {
            now,
            timezone: tz,
            chart_days: 30,
            breakdown: Breakdown::Provider,
        };
        let d = dashboard::load(&store, &query).expect("dashboard");
        chart::render_svg(&d.chart, Theme::Light, (960, 340)).expect("svg")
    });
    time(
        "dashboard command (load + SVG), 1-year chart by model",
        50,
        || {
            let query = DashboardQuery {
                now,
                timezone: tz,
                chart_days: 365,
                breakdown: Breakdown::Model,
            };
            let d = dashboard::load(&store, &query).expect("dashboard");
            chart::render_svg(&d.chart, Theme::Light, (960, 340)).expect("svg")
        },
    );
    // Where the 1-year chart's time goes: the read of the store (rollups, budgets, forecast) and the drawing.
    let year = DashboardQuery {
        now,
        timezone: tz,
        chart_days: 365,
        breakdown: Breakdown::Model,
    };
    time("  of which dashboard::load, 1 year by model", 20, || {
        dashboard::load(&store, &year).expect("dashboard")
    });
    let loaded = dashboard::load(&store, &year).expect("dashboard");
    time("  of which the SVG, 1 year by model", 20, || {
        chart::render_svg(&loaded.chart, Theme::Light, (960, 340)).expect("svg")
    });
    time(
        "usage explorer, this month, first page by cost",
        100,
        || {
            let mut q = ExploreQuery::new(tz);
            q.since = Some(now.date_naive() - chrono::Duration::days(17));
            q.sort = explore::SortKey::Cost;
            q.limit = 50;
            explore::explore(&store, &q).expect("explore")
        },
    );
    time("usage explorer, the whole year, first page", 20, || {
        let mut q = ExploreQuery::new(tz);
        q.limit = 50;
        explore::explore(&store, &q).expect("explore")
    });
    time("PNG export, 90 days", 20, || {
        let d = dashboard::daily_spend(
            &store,
            &tz,
            now.date_naive() - chrono::Duration::days(89),
            now.date_naive(),
            Breakdown::Model,
        )
        .expect("series");
        chart::render_png(&d, Theme::Light, (1400, 520)).expect("png")
    });
    let goal = Duration::from_millis(50);
    println!(
        "goal: dashboard p95 <= 50 ms: {}",
        if p95 <= goal { "met" } else { "NOT met" }
    );
}
