//! The dashboard query, the usage explorer and the charts: exact totals in the user's zone, unpriced usage
//! apart, the forecast over the same money, budgets and alerts; an SVG that names itself to screen readers and
//! holds the bars' data; a PNG with text; explorer filters, sorting, paging and CSV.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use tallyvault::budget::{self, budgets, BudgetSpec, PeriodKind};
use tallyvault::chart::{self, Breakdown, DailySpend, Theme};
use tallyvault::dashboard::{self, DashboardQuery};
use tallyvault::money::Money;
use tallyvault::pricing::TokenCounts;
use tallyvault::report::explore::{self, ExploreQuery, SortKey};
use tallyvault::store::Store;
use tallyvault::usage::{self, Conflict, CostOrigin, UsageRecord};

use crate::common::Fixture;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
}

fn cents(n: i64) -> Money {
    Money::from_nanos(n * 10_000_000)
}

struct Spend<'a> {
    at: DateTime<Utc>,
    source: &'a str,
    provider: &'a str,
    model: &'a str,
    project: &'a str,
    /// `None`: unpriced.
    cost: Option<Money>,
}

fn record(s: &Spend<'_>) -> UsageRecord {
    let id_text = format!("{}-{}-{}-{:?}", s.at, s.source, s.model, s.cost);
    UsageRecord {
        id: usage::record_id(&[id_text.as_bytes()]),
        source: s.source.into(),
        provider: s.provider.into(),
        model: s.model.into(),
        project: s.project.into(),
        session: "s".into(),
        ts_ms: s.at.timestamp_millis(),
        tokens: TokenCounts {
            input: 1000,
            output: 100,
            ..TokenCounts::default()
        },
        requests: 1,
        cost: s.cost,
        cost_origin: if s.cost.is_some() {
            CostOrigin::Reported
        } else {
            CostOrigin::Unpriced
        },
        reported_cost: s.cost,
        fast: false,
        message_key: None,
        sidechain: false,
        origin_path: None,
    }
}

fn store_with(spends: &[Spend<'_>]) -> (Fixture, Store) {
    let fixture = Fixture::new();
    let store = fixture.store();
    let records: Vec<UsageRecord> = spends.iter().map(record).collect();
    store
        .write(|tx| {
            usage::upsert(tx, &records, Conflict::Replace)?;
            usage::refresh_rollups(tx)
        })
        .unwrap();
    (fixture, store)
}

fn spend<'a>(
    at: DateTime<Utc>,
    provider: &'a str,
    model: &'a str,
    cost: Option<Money>,
) -> Spend<'a> {
    Spend {
        at,
        source: "claude-code",
        provider,
        model,
        project: "alpha",
        cost,
    }
}

const BERLIN: Tz = chrono_tz::Europe::Berlin;

/// Wednesday 2026-03-18, 15:00 in Berlin (UTC+1).
fn now() -> DateTime<Utc> {
    utc(2026, 3, 18, 14, 0)
}

fn fixture_spends() -> Vec<Spend<'static>> {
    vec![
        // today (Berlin): 00:30 local is 23:30 UTC the day before
        spend(
            utc(2026, 3, 17, 23, 30),
            "anthropic",
            "claude-opus-4",
            Some(cents(250)),
        ),
        spend(utc(2026, 3, 18, 9, 0), "openai", "gpt-5", Some(cents(125))),
        spend(utc(2026, 3, 18, 10, 0), "anthropic", "mystery-model", None),
        // Monday of this week
        spend(
            utc(2026, 3, 16, 12, 0),
            "anthropic",
            "claude-opus-4",
            Some(cents(1000)),
        ),
        // Sunday: last week, this month. 23:30 UTC on the 15th is already Monday in Berlin: this week.
        spend(utc(2026, 3, 15, 12, 0), "openai", "gpt-5", Some(cents(300))),
        spend(utc(2026, 3, 15, 23, 30), "openai", "gpt-5", Some(cents(7))),
        // last month
        spend(
            utc(2026, 2, 27, 12, 0),
            "anthropic",
            "claude-opus-4",
            Some(cents(5000)),
        ),
        // the same requests polled from a provider's API: never added to the local logs' totals
        Spend {
            source: "anthropic-api",
            ..spend(
                utc(2026, 3, 18, 9, 0),
                "anthropic",
                "claude-opus-4",
                Some(cents(9999)),
            )
        },
    ]
}

fn query(days: u32, by: Breakdown) -> DashboardQuery {
    DashboardQuery {
        now: now(),
        timezone: BERLIN,
        chart_days: days,
        breakdown: by,
    }
}

#[test]
fn totals_are_exact_in_the_users_zone_with_unpriced_apart() {
    let (_f, store) = store_with(&fixture_spends());
    let dash = dashboard::load(&store, &query(30, Breakdown::Provider)).unwrap();
    assert_eq!(dash.timezone, "Europe/Berlin");
    assert_eq!(
        (dash.today.from, dash.today.cost),
        (d(2026, 3, 18), cents(375)),
        "today in Berlin starts at 23:00 UTC the day before; the API copy is not added"
    );
    assert_eq!(
        dash.today.unpriced_requests, 1,
        "the unpriced request is told apart"
    );
    assert_eq!(dash.today.unpriced_tokens, 1100);
    assert_eq!(dash.today.requests, 3);
    assert_eq!(
        (dash.week.from, dash.week.cost),
        (d(2026, 3, 16), cents(375 + 1000 + 7)),
        "the week starts on Monday, local time"
    );
    assert_eq!(
        (dash.month.from, dash.month.cost),
        (d(2026, 3, 1), cents(375 + 1000 + 7 + 300))
    );
    assert_eq!(
        dash.forecast.spent, dash.month.cost,
        "the forecast starts from the month's exact spend"
    );
    assert_eq!(dash.forecast.period_end, d(2026, 4, 1));
    assert!(
        dash.forecast.lower <= dash.forecast.projected
            && dash.forecast.projected <= dash.forecast.upper
    );
    assert!(dash.forecast.projected >= dash.month.cost);
    assert_eq!(dash.forecast.level, 0.8);

    assert_eq!(dash.chart.dates.len(), 30);
    assert_eq!(dash.chart.dates.last(), Some(&d(2026, 3, 18)));
    let names: Vec<&str> = dash.chart.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["anthropic", "openai"], "largest total first");
    assert_eq!(
        dash.chart.total,
        cents(375 + 1000 + 7 + 300 + 5000),
        "30 days back from March 18 reach February 17, so February 27 is in the chart"
    );
    assert_eq!(dash.chart.unpriced_requests, 1);
}

#[test]
fn budgets_and_open_alerts_come_with_the_dashboard() {
    let (_f, store) = store_with(&fixture_spends());
    budgets::add(
        &store,
        BudgetSpec {
            name: Some("March".into()),
            amount: Some(cents(1500)),
            period: Some(PeriodKind::Month),
            ..BudgetSpec::default()
        },
        "2026-03-01T00:00:00Z",
    )
    .unwrap();
    budget::evaluate(&store, now(), BERLIN).unwrap();
    let dash = dashboard::load(&store, &query(7, Breakdown::Model)).unwrap();
    assert_eq!(dash.budgets.len(), 1);
    assert_eq!(dash.budgets[0].budget.name, "March");
    assert!(
        dash.budgets[0].over,
        "$16.82 local plus the API copy is over $15"
    );
    let thresholds: Vec<Option<u32>> = dash.alerts.iter().map(|a| a.threshold).collect();
    assert!(
        thresholds.contains(&Some(100)) && thresholds.contains(&Some(50)),
        "open threshold alerts are listed: {thresholds:?}"
    );
    let first = dash.alerts[0].id;
    budget::alerts::acknowledge(&store, first, "2026-03-18T14:05:00Z").unwrap();
    let dash = dashboard::load(&store, &query(7, Breakdown::Model)).unwrap();
    assert!(
        dash.alerts.iter().all(|a| a.id != first),
        "an acknowledged alert leaves the dashboard"
    );
}

#[test]
fn bad_chart_periods_are_refused() {
    let (_f, store) = store_with(&[]);
    assert!(dashboard::load(&store, &query(0, Breakdown::Model)).is_err());
    assert!(dashboard::load(&store, &query(367, Breakdown::Model)).is_err());
    let empty = dashboard::load(&store, &query(7, Breakdown::Model)).unwrap();
    assert_eq!(empty.month.cost, Money::ZERO);
    assert!(empty.chart.series.is_empty());
}

#[test]
fn half_hour_zones_put_spend_on_the_local_day() {
    // Kolkata is UTC+5:30: 18:45 UTC on the 17th is 00:15 on the 18th.
    let (_f, store) = store_with(&[
        spend(utc(2026, 3, 17, 18, 45), "openai", "gpt-5", Some(cents(40))),
        spend(utc(2026, 3, 17, 18, 15), "openai", "gpt-5", Some(cents(2))),
    ]);
    let q = DashboardQuery {
        timezone: chrono_tz::Asia::Kolkata,
        ..query(7, Breakdown::Provider)
    };
    let dash = dashboard::load(&store, &q).unwrap();
    assert_eq!(dash.today.cost, cents(40));
    assert_eq!(dash.week.cost, cents(42));
}

#[test]
fn day_buckets_come_sorted_by_name_and_without_projects_sum_the_same() {
    use tallyvault::report::{self, DayBucket, Grouping, ReportQuery};
    // Names written in an order unlike their sorted one, several projects an hour, a half-hour zone that splits
    // hours at local midnight (read record by record) and one unpriced model.
    let mut spends = Vec::new();
    let models = ["zeta-model", "claude-opus-4", "gpt-5", "Alpha"];
    let projects = ["web", "api", "Zed", "", "älg"];
    for i in 0..60u32 {
        spends.push(Spend {
            at: utc(2026, 3, 10 + i / 8, (i * 5) % 24, (i * 7) % 60),
            source: if i % 3 == 0 { "codex" } else { "claude-code" },
            provider: if i % 2 == 0 { "openai" } else { "anthropic" },
            model: models[(i % 4) as usize],
            project: projects[(i % 5) as usize],
            cost: (i % 7 != 0).then(|| cents(i64::from(i) * 3 + 1)),
        });
    }
    let (_f, store) = store_with(&spends);
    let mut q = ReportQuery::new(Grouping::Daily, chrono_tz::Asia::Kolkata);
    q.since = Some(d(2026, 3, 9));
    q.until = Some(d(2026, 3, 19));
    let key = |b: &DayBucket| {
        (
            b.date,
            b.source.clone(),
            b.provider.clone(),
            b.model.clone(),
            b.project.clone(),
        )
    };
    let with = report::day_buckets(&store, &q).unwrap();
    let keys: Vec<_> = with.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "sorted by date and names, one bucket per key");
    assert!(with.iter().any(|b| b.project == "älg") && with.iter().any(|b| b.project.is_empty()));

    let without = report::day_buckets_by(&store, &q, false).unwrap();
    let keys: Vec<_> = without.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted);
    assert!(without.iter().all(|b| b.project.is_empty()));
    // The same amounts once projects are summed away.
    let mut summed: std::collections::BTreeMap<_, report::Amounts> = Default::default();
    for b in &with {
        let (date, source, provider, model, _) = key(b);
        summed
            .entry((date, source, provider, model))
            .or_default()
            .add(&b.amounts);
    }
    let got: std::collections::BTreeMap<_, _> = without
        .iter()
        .map(|b| {
            let (date, source, provider, model, _) = key(b);
            ((date, source, provider, model), b.amounts.clone())
        })
        .collect();
    assert_eq!(got, summed);
    let total: Money = without.iter().map(|b| b.amounts.cost).sum();
    let expected: Money = spends.iter().filter_map(|s| s.cost).sum();
    assert_eq!(total, expected);
}

/// The chart of `spends` from `from` to March 18, in Berlin.
fn chart_of(spends: &[Spend<'_>], from: NaiveDate, by: Breakdown) -> DailySpend {
    let (_f, store) = store_with(spends);
    dashboard::daily_spend(&store, &BERLIN, from, d(2026, 3, 18), by).unwrap()
}

fn attr<'a>(node: &roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name).unwrap_or_default()
}

#[test]
fn the_svg_names_itself_and_holds_the_bars_data() {
    let data = chart_of(
        &[
            spend(
                utc(2026, 3, 16, 12, 0),
                "anthropic",
                "claude-opus-4",
                Some(cents(300)),
            ),
            spend(utc(2026, 3, 16, 13, 0), "openai", "gpt-5", Some(cents(100))),
            spend(
                utc(2026, 3, 18, 9, 0),
                "anthropic",
                "claude-opus-4",
                Some(cents(150)),
            ),
        ],
        d(2026, 3, 15),
        Breakdown::Provider,
    );
    let svg = chart::render_svg(&data, Theme::Light, (800, 400)).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(attr(&root, "role"), "img");
    assert_eq!(
        attr(&root, "aria-labelledby"),
        format!("{} {}", chart::TITLE_ID, chart::DESC_ID)
    );
    let text_of = |tag: &str| {
        root.children()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        text_of("title"),
        "Daily spend by provider, 2026-03-15 to 2026-03-18"
    );
    let desc = text_of("desc");
    assert!(desc.contains("Total $5.50"), "{desc}");
    assert!(desc.contains("anthropic $4.50; openai $1.00"), "{desc}");
    assert!(desc.contains("Highest day 2026-03-16 with $4.00"), "{desc}");

    // The bars: one rect per non-empty (day, provider), plus the legend's swatch, in the series' colour.
    let rects_of = |colour: &str| -> Vec<(f64, f64, f64)> {
        root.descendants()
            .filter(|n| n.has_tag_name("rect") && attr(n, "fill").eq_ignore_ascii_case(colour))
            .map(|n| {
                let num = |a: &str| attr(&n, a).parse::<f64>().unwrap_or(f64::NAN);
                (num("x"), num("height"), num("y"))
            })
            .collect()
    };
    let anthropic = rects_of(&chart::series_colour(Theme::Light, 0, "anthropic"));
    let openai = rects_of(&chart::series_colour(Theme::Light, 1, "openai"));
    assert_eq!(
        anthropic.len(),
        2 + 1,
        "two days of anthropic bars and a legend swatch: {anthropic:?}"
    );
    assert_eq!(openai.len(), 1 + 1, "{openai:?}");
    // Bars are the tall ones (the legend swatch is 10 px): their heights keep the money's ratios.
    let mut bars: Vec<f64> = anthropic
        .iter()
        .map(|r| r.1)
        .filter(|h| *h > 11.0)
        .collect();
    bars.sort_by(f64::total_cmp);
    let openai_bar = openai.iter().map(|r| r.1).fold(0.0, f64::max);
    assert_eq!(bars.len(), 2);
    let close = |a: f64, b: f64| (a - b).abs() <= 2.0;
    assert!(
        close(bars[1], bars[0] * 2.0),
        "$3.00 is twice $1.50: {bars:?}"
    );
    assert!(
        close(openai_bar * 3.0, bars[1]),
        "$1.00 is a third of $3.00: {openai_bar} vs {bars:?}"
    );
    // Stacked: on the 16th the openai bar sits right on top of the anthropic one.
    let tall = anthropic.iter().find(|r| close(r.1, bars[1])).unwrap();
    let top = openai.iter().find(|r| close(r.1, openai_bar)).unwrap();
    assert!(close(top.0, tall.0), "same day, same x");
    assert!(
        close(top.2 + top.1, tall.2),
        "the openai segment ends where anthropic's begins"
    );
}

#[test]
fn user_data_cannot_inject_markup_into_the_svg() {
    let data = chart_of(
        &[spend(
            utc(2026, 3, 16, 12, 0),
            "anthropic",
            "<script>alert(1)</script>&\"'",
            Some(cents(300)),
        )],
        d(2026, 3, 15),
        Breakdown::Model,
    );
    let svg = chart::render_svg(&data, Theme::Dark, (640, 320)).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("still well-formed");
    assert!(
        doc.descendants().all(|n| !n.has_tag_name("script")),
        "a model name is text, never markup"
    );
    assert!(svg.contains("&lt;script&gt;"));
}

#[test]
fn the_png_export_is_an_image_with_bars_and_text() {
    let data = chart_of(
        &[
            spend(
                utc(2026, 3, 16, 12, 0),
                "anthropic",
                "claude-opus-4",
                Some(cents(300)),
            ),
            spend(utc(2026, 3, 17, 12, 0), "openai", "gpt-5", Some(cents(120))),
        ],
        d(2026, 3, 10),
        Breakdown::Provider,
    );
    let bytes = chart::render_png(&data, Theme::Light, (900, 450)).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (900, 450));
    let rgb: Vec<[u8; 3]> = pixels.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
    let has = |hex: &str| {
        let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap();
        let want = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        rgb.iter().filter(|p| **p == want).count()
    };
    assert!(
        has(&chart::series_colour(Theme::Light, 0, "anthropic")) > 500,
        "anthropic's bar is drawn"
    );
    assert!(
        has(&chart::series_colour(Theme::Light, 1, "openai")) > 200,
        "openai's bar is drawn"
    );
    // The caption is text drawn with the bundled font: dark, anti-aliased pixels in the top band.
    let caption_band = &rgb[..900 * 30];
    let inked = caption_band
        .iter()
        .filter(|p| p.iter().all(|c| *c < 120))
        .count();
    assert!(inked > 100, "the title is drawn ({inked} dark pixels)");
}

fn explorer_store() -> (Fixture, Store) {
    let mut spends = fixture_spends();
    spends.push(Spend {
        project: "beta",
        source: "codex",
        ..spend(utc(2026, 3, 17, 10, 0), "openai", "gpt-5", Some(cents(42)))
    });
    store_with(&spends)
}

fn explore_query() -> ExploreQuery {
    let mut q = ExploreQuery::new(BERLIN);
    q.since = Some(d(2026, 3, 1));
    q.until = Some(d(2026, 3, 31));
    q
}

#[test]
fn the_explorer_filters_sorts_and_pages() {
    let (_f, store) = explorer_store();
    let all = explore::explore(&store, &explore_query()).unwrap();
    assert_eq!(
        all.total_rows, 7,
        "one row per day and source/provider/model/project"
    );
    assert_eq!(all.totals.cost, cents(375 + 1000 + 7 + 300 + 42));
    assert_eq!(all.totals.unpriced_requests, 1);
    assert_eq!(
        all.rows[0].date,
        Some(d(2026, 3, 18)),
        "newest first by default"
    );

    let mut q = explore_query();
    q.sort = SortKey::Cost;
    q.limit = 2;
    let page = explore::explore(&store, &q).unwrap();
    assert_eq!(page.rows.len(), 2);
    assert_eq!(page.rows[0].amounts.cost, cents(1000));
    assert_eq!(page.rows[1].amounts.cost, cents(300));
    q.offset = 6;
    let last = explore::explore(&store, &q).unwrap();
    assert_eq!(last.rows.len(), 1, "the last page holds the rest");
    assert_eq!(last.total_rows, 7);

    let mut q = explore_query();
    q.projects = vec!["beta".into()];
    let beta = explore::explore(&store, &q).unwrap();
    assert_eq!(beta.total_rows, 1);
    assert_eq!(beta.rows[0].source, "codex");

    let mut q = explore_query();
    q.providers = vec!["openai".into()];
    q.per_day = false;
    q.sort = SortKey::Source;
    q.descending = false;
    let openai = explore::explore(&store, &q).unwrap();
    assert_eq!(
        openai
            .rows
            .iter()
            .map(|r| (r.source.as_str(), r.amounts.cost))
            .collect::<Vec<_>>(),
        [("claude-code", cents(432)), ("codex", cents(42))],
        "over the whole range, one row per combination"
    );

    let mut q = explore_query();
    q.sources = vec!["anthropic-api".into()];
    assert_eq!(
        explore::explore(&store, &q).unwrap().totals.cost,
        cents(9999),
        "API usage is there when asked for by source"
    );

    let mut q = explore_query();
    q.limit = 0;
    assert!(explore::explore(&store, &q).is_err());
    assert!(SortKey::parse("colour").is_err());

    let facets = explore::facets(&store, &explore_query()).unwrap();
    assert_eq!(facets.projects, ["alpha", "beta"]);
    assert_eq!(facets.sources, ["claude-code", "codex"]);
}

#[test]
fn the_csv_export_has_every_matching_row_with_exact_costs() {
    let (_f, store) = explorer_store();
    let mut q = explore_query();
    q.limit = 1; // paging does not apply to exports
    let mut out = Vec::new();
    let written = explore::write_csv(&store, &q, &mut out).unwrap();
    assert_eq!(written, 7);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        explore::CSV_HEADER
    );
    let mut sum = rust_decimal::Decimal::ZERO;
    let mut rows = 0;
    for row in reader.records() {
        let row = row.unwrap();
        sum += row[12].parse::<rust_decimal::Decimal>().unwrap();
        rows += 1;
    }
    assert_eq!(rows, 7);
    assert_eq!(sum, cents(375 + 1000 + 7 + 300 + 42).dollars());
}

#[test]
fn the_trays_totals_match_the_dashboards() {
    let (_f, store) = store_with(&fixture_spends());
    let (today, month) = dashboard::today_and_month(&store, &BERLIN, now()).unwrap();
    let dash = dashboard::load(&store, &query(7, Breakdown::Model)).unwrap();
    assert_eq!((today, month), (dash.today, dash.month));
}
