//! Budgets: periods in DST zones and on billing days 29-31, thresholds that fire once per period, alerts whose
//! acknowledgement survives a restart.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use tallyvault::budget::{
    self, alerts, budgets, period, AlertState, BudgetSpec, PeriodKind, Scope,
};
use tallyvault::money::Money;
use tallyvault::pricing::TokenCounts;
use tallyvault::store::Store;
use tallyvault::usage::{self, Conflict, CostOrigin, UsageRecord};

use crate::common::Fixture;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, day, h, min, 0).unwrap()
}

fn dollars(text: &str) -> Money {
    Money::parse_dollars(text).unwrap()
}

/// Records `cost` of spend at `at`, with a unique id.
pub fn spend(store: &Store, at: DateTime<Utc>, model: &str, cost: Money) {
    let id_text = format!("{at}-{model}-{}", cost.nanos());
    let record = UsageRecord {
        id: usage::record_id(&[id_text.as_bytes()]),
        source: "test".into(),
        provider: "anthropic".into(),
        model: model.into(),
        project: "p".into(),
        session: "s".into(),
        ts_ms: at.timestamp_millis(),
        tokens: TokenCounts {
            input: 1000,
            output: 100,
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
    };
    store
        .write(|tx| {
            usage::upsert(tx, &[record], Conflict::Replace)?;
            usage::refresh_rollups(tx)
        })
        .unwrap();
}

#[test]
fn berlin_month_periods_start_at_local_midnight_across_dst() {
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    // March 2025: CET (+1) at the start, CEST (+2) from the 30th.
    let p = period::period_at(PeriodKind::Month, 1, &tz, utc(2025, 3, 30, 12, 0)).unwrap();
    assert_eq!((p.start, p.end), (d(2025, 3, 1), d(2025, 4, 1)));
    assert_eq!(p.start_utc, utc(2025, 2, 28, 23, 0), "1 March 00:00 CET");
    assert_eq!(p.end_utc, utc(2025, 3, 31, 22, 0), "1 April 00:00 CEST");
    // The day of the change has 23 hours; the autumn one 25.
    let spring = period::period_at(PeriodKind::Day, 1, &tz, utc(2025, 3, 30, 12, 0)).unwrap();
    assert_eq!((spring.end_utc - spring.start_utc).num_hours(), 23);
    let autumn = period::period_at(PeriodKind::Day, 1, &tz, utc(2025, 10, 26, 12, 0)).unwrap();
    assert_eq!((autumn.end_utc - autumn.start_utc).num_hours(), 25);
    // 23:30 UTC on 29 March is 00:30 CET on the 30th in Berlin.
    let late = period::period_at(PeriodKind::Day, 1, &tz, utc(2025, 3, 29, 23, 30)).unwrap();
    assert_eq!(late.start, d(2025, 3, 30));
    // The week containing the change runs Monday 24 March to Monday 31 March, 167 hours.
    let week = period::period_at(PeriodKind::Week, 1, &tz, utc(2025, 3, 30, 12, 0)).unwrap();
    assert_eq!((week.start, week.end), (d(2025, 3, 24), d(2025, 3, 31)));
    assert_eq!((week.end_utc - week.start_utc).num_hours(), 167);
}

#[test]
fn a_skipped_local_midnight_starts_the_day_at_the_first_instant_that_exists() {
    // Chile moves its clocks at midnight: 2023-09-03 00:00 does not exist in America/Santiago (it is 01:00).
    let tz: Tz = "America/Santiago".parse().unwrap();
    let p = period::period_at(PeriodKind::Day, 1, &tz, utc(2023, 9, 3, 15, 0)).unwrap();
    assert_eq!(p.start, d(2023, 9, 3));
    assert_eq!(
        p.start_utc,
        utc(2023, 9, 3, 4, 0),
        "01:00 -03 is the day's first instant"
    );
    let previous = period::period_at(PeriodKind::Day, 1, &tz, utc(2023, 9, 2, 15, 0)).unwrap();
    assert_eq!(
        previous.end_utc, p.start_utc,
        "consecutive days neither overlap nor gap"
    );
    assert_eq!((previous.end_utc - previous.start_utc).num_hours(), 24);
}

#[test]
fn billing_cycles_on_the_29th_to_31st_clamp_to_short_months() {
    let cases = [
        // (cycle day, a date, expected start, expected end)
        (29, d(2025, 2, 10), d(2025, 1, 29), d(2025, 2, 28)),
        (29, d(2025, 2, 28), d(2025, 2, 28), d(2025, 3, 29)),
        (29, d(2024, 2, 28), d(2024, 1, 29), d(2024, 2, 29)),
        (29, d(2024, 2, 29), d(2024, 2, 29), d(2024, 3, 29)),
        (30, d(2025, 3, 1), d(2025, 2, 28), d(2025, 3, 30)),
        (30, d(2025, 3, 30), d(2025, 3, 30), d(2025, 4, 30)),
        (31, d(2025, 4, 30), d(2025, 4, 30), d(2025, 5, 31)),
        (31, d(2025, 4, 29), d(2025, 3, 31), d(2025, 4, 30)),
        (31, d(2024, 12, 31), d(2024, 12, 31), d(2025, 1, 31)),
        (31, d(2025, 1, 30), d(2024, 12, 31), d(2025, 1, 31)),
    ];
    for (cycle, date, start, end) in cases {
        assert_eq!(
            period::period_dates(PeriodKind::Month, cycle, date).unwrap(),
            (start, end),
            "a cycle on day {cycle} containing {date}"
        );
    }
    // Cycles tile a whole year without gaps or overlaps.
    for cycle in 28..=31 {
        let mut date = d(2024, 1, 1);
        let (mut start, mut end) = period::period_dates(PeriodKind::Month, cycle, date).unwrap();
        while date < d(2025, 12, 31) {
            date = date.succ_opt().unwrap();
            let (s, e) = period::period_dates(PeriodKind::Month, cycle, date).unwrap();
            if s != start {
                assert_eq!(
                    s, end,
                    "cycle {cycle}: the next period starts where the last ended"
                );
                (start, end) = (s, e);
            }
            assert!(start <= date && date < end);
        }
    }
    assert!(period::period_dates(PeriodKind::Month, 32, d(2025, 1, 1)).is_err());
}

fn monthly_budget(store: &Store, amount: &str) -> budget::Budget {
    budgets::add(
        store,
        BudgetSpec {
            name: Some("team".into()),
            amount: Some(dollars(amount)),
            period: Some(PeriodKind::Month),
            forecast_alert: Some(false),
            ..BudgetSpec::default()
        },
        "2025-01-01T00:00:00Z",
    )
    .unwrap()
}

fn thresholds_raised(list: &[alerts::Alert]) -> Vec<u32> {
    let mut out: Vec<u32> = list.iter().filter_map(|a| a.threshold).collect();
    out.sort_unstable();
    out
}

#[test]
fn each_threshold_fires_once_per_period() {
    let fx = Fixture::new();
    let store = fx.store();
    let tz = Tz::UTC;
    monthly_budget(&store, "100");
    spend(&store, utc(2025, 3, 2, 10, 0), "m", dollars("49.99"));
    let now = utc(2025, 3, 2, 12, 0);
    assert!(
        budget::evaluate(&store, now, tz).unwrap().is_empty(),
        "49.99 of 100 is under 50%"
    );
    spend(&store, utc(2025, 3, 2, 11, 0), "m", dollars("0.01"));
    let raised = budget::evaluate(&store, now, tz).unwrap();
    assert_eq!(
        thresholds_raised(&raised),
        vec![50],
        "exactly 50% crosses the 50% threshold"
    );
    assert!(
        budget::evaluate(&store, now, tz).unwrap().is_empty(),
        "evaluating again raises nothing"
    );
    spend(&store, utc(2025, 3, 3, 10, 0), "m", dollars("60"));
    let raised = budget::evaluate(&store, utc(2025, 3, 3, 12, 0), tz).unwrap();
    assert_eq!(
        thresholds_raised(&raised),
        vec![80, 100],
        "jumping past two thresholds raises both"
    );
    for _ in 0..3 {
        assert!(budget::evaluate(&store, utc(2025, 3, 20, 12, 0), tz)
            .unwrap()
            .is_empty());
    }
    // A new period: the same thresholds fire again, once; the old period's alerts resolve.
    spend(&store, utc(2025, 4, 1, 10, 0), "m", dollars("85"));
    let raised = budget::evaluate(&store, utc(2025, 4, 1, 12, 0), tz).unwrap();
    assert_eq!(thresholds_raised(&raised), vec![50, 80]);
    assert!(raised
        .iter()
        .all(|a| a.period_start.as_deref() == Some("2025-04-01")));
    let all = alerts::list(&store, true).unwrap();
    assert_eq!(all.len(), 5);
    for a in all
        .iter()
        .filter(|a| a.period_start.as_deref() == Some("2025-03-01"))
    {
        assert_eq!(
            a.state,
            AlertState::Resolved,
            "March's alerts resolve when March ends"
        );
        assert_eq!(a.history.last().unwrap().note, "the budget period ended");
    }
}

#[test]
fn budget_scope_counts_only_matching_usage() {
    let fx = Fixture::new();
    let store = fx.store();
    budgets::add(
        &store,
        BudgetSpec {
            name: Some("sonnet".into()),
            amount: Some(dollars("10")),
            period: Some(PeriodKind::Day),
            scope: Scope {
                model: Some("claude-sonnet-*".into()),
                ..Scope::default()
            },
            forecast_alert: Some(false),
            ..BudgetSpec::default()
        },
        "2025-01-01T00:00:00Z",
    )
    .unwrap();
    spend(
        &store,
        utc(2025, 3, 2, 10, 0),
        "claude-opus-4",
        dollars("50"),
    );
    spend(
        &store,
        utc(2025, 3, 2, 10, 5),
        "claude-sonnet-4-5",
        dollars("6"),
    );
    let status = budget::status(&store, utc(2025, 3, 2, 12, 0), &Tz::UTC).unwrap();
    assert_eq!(
        status[0].spent,
        dollars("6"),
        "opus is outside the sonnet budget"
    );
    let raised = budget::evaluate(&store, utc(2025, 3, 2, 12, 0), Tz::UTC).unwrap();
    assert_eq!(thresholds_raised(&raised), vec![50]);
}

#[test]
fn acknowledging_survives_a_restart() {
    let fx = Fixture::new();
    let id = {
        let store = fx.store();
        monthly_budget(&store, "10");
        spend(&store, utc(2025, 3, 2, 10, 0), "m", dollars("6"));
        let raised = budget::evaluate(&store, utc(2025, 3, 2, 12, 0), Tz::UTC).unwrap();
        let id = raised[0].id;
        alerts::acknowledge(&store, id, "2025-03-02T13:00:00Z").unwrap();
        id
    };
    let store = Store::open(fx.path()).unwrap();
    let alert = alerts::list(&store, true)
        .unwrap()
        .into_iter()
        .find(|a| a.id == id)
        .unwrap();
    assert_eq!(
        alert.state,
        AlertState::Acknowledged,
        "the store was reopened"
    );
    let states: Vec<&str> = alert.history.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, ["open", "acknowledged"]);
    assert!(
        budget::evaluate(&store, utc(2025, 3, 2, 14, 0), Tz::UTC)
            .unwrap()
            .is_empty(),
        "an acknowledged alert is not raised again"
    );
    let resolved = alerts::resolve(&store, id, "2025-03-03T00:00:00Z").unwrap();
    assert_eq!(resolved.state, AlertState::Resolved);
    assert!(
        alerts::acknowledge(&store, id, "2025-03-03T00:00:01Z").is_err(),
        "states only move forward"
    );
    assert!(alerts::acknowledge(&store, 9999, "2025-03-03T00:00:01Z").is_err());
}

#[test]
fn a_steady_spender_gets_a_forecast_alert_before_going_over() {
    let fx = Fixture::new();
    let store = fx.store();
    budgets::add(
        &store,
        BudgetSpec {
            name: Some("monthly".into()),
            amount: Some(dollars("100")),
            period: Some(PeriodKind::Month),
            thresholds: Some(vec![100]),
            ..BudgetSpec::default()
        },
        "2025-01-01T00:00:00Z",
    )
    .unwrap();
    // $5 a day on average since January (busier on weekdays): by 10 March, $45 spent and ~$155 projected.
    let weekly = ["6", "6", "6", "6", "6", "3", "2"];
    let mut day = d(2025, 1, 1);
    let mut march = Money::ZERO;
    while day < d(2025, 3, 10) {
        let amount = dollars(weekly[day.weekday().num_days_from_monday() as usize]);
        spend(
            &store,
            Utc.from_utc_datetime(&day.and_hms_opt(9, 0, 0).unwrap()),
            "m",
            amount,
        );
        if day >= d(2025, 3, 1) {
            march += amount;
        }
        day = day.succ_opt().unwrap();
    }
    let now = utc(2025, 3, 10, 0, 30);
    let status = budget::status(&store, now, &Tz::UTC).unwrap();
    let p = &status[0].projection;
    assert_eq!(status[0].spent, march, "spend is exact");
    assert!(p.projected_over, "{p:?}");
    assert!(p.method.starts_with("mstl+ets"), "{}", p.method);
    assert!(p.lower <= p.projected && p.projected <= p.upper);
    let out = p.exhaustion_date.unwrap();
    assert!(
        (d(2025, 3, 19)..=d(2025, 3, 22)).contains(&out),
        "runs out around the 20th, not {out}"
    );
    let raised = budget::evaluate(&store, now, Tz::UTC).unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].kind, "forecast");
    assert!(budget::evaluate(&store, now, Tz::UTC).unwrap().is_empty());
}

#[test]
fn budgets_can_be_edited_and_removed_and_bad_input_is_refused() {
    let fx = Fixture::new();
    let store = fx.store();
    let b = monthly_budget(&store, "100");
    let edited = budgets::edit(
        &store,
        "team",
        BudgetSpec {
            amount: Some(dollars("250.5")),
            cycle_day: Some(30),
            thresholds: Some(vec![90]),
            ..BudgetSpec::default()
        },
        "2025-01-02T00:00:00Z",
    )
    .unwrap();
    assert_eq!(
        (edited.id, edited.amount, edited.cycle_day),
        (b.id, dollars("250.5"), 30)
    );
    assert_eq!(edited.thresholds, vec![90]);
    assert!(budget::parse_thresholds("50,x").is_err());
    assert_eq!(
        budget::parse_thresholds("100, 50,80,50").unwrap(),
        vec![50, 80, 100]
    );
    let zero = BudgetSpec {
        amount: Some(Money::ZERO),
        ..BudgetSpec::default()
    };
    assert!(budgets::add(&store, zero, "t").is_err());
    let day_cycle = BudgetSpec {
        amount: Some(dollars("1")),
        period: Some(PeriodKind::Day),
        cycle_day: Some(15),
        ..BudgetSpec::default()
    };
    assert!(
        budgets::add(&store, day_cycle, "t").is_err(),
        "cycle days are for months"
    );
    budgets::remove(&store, &b.id.to_string()).unwrap();
    assert!(budgets::list(&store).unwrap().is_empty());
    assert!(budgets::remove(&store, "team").is_err());
}

#[test]
fn anomaly_alerts_have_a_cooldown() {
    let fx = Fixture::new();
    let store = fx.store();
    let day0 = d(2025, 1, 6);
    let at = |day: i64, hour: u32| {
        Utc.from_utc_datetime(
            &(day0 + chrono::Duration::days(day))
                .and_hms_opt(hour, 0, 0)
                .unwrap(),
        )
    };
    for day in 0..40 {
        let cost = if [35, 36, 38].contains(&day) {
            "50"
        } else {
            "10"
        };
        spend(&store, at(day, 9), "claude-x", dollars(cost));
    }
    let subjects = |list: &[alerts::Alert]| {
        let mut s: Vec<String> = list
            .iter()
            .map(|a| {
                format!(
                    "{} {}",
                    a.subject,
                    a.period_start.clone().unwrap_or_default()
                )
            })
            .collect();
        s.sort();
        s
    };
    let first = budget::evaluate(&store, at(36, 8), Tz::UTC).unwrap();
    assert_eq!(
        subjects(&first),
        [
            "anomaly:model:claude-x:cost_spike 2025-02-10",
            "anomaly:provider:anthropic:cost_spike 2025-02-10"
        ]
    );
    assert!(
        first[0].message.contains("5.0x the usual $10.00"),
        "{}",
        first[0].message
    );
    let next_day = budget::evaluate(&store, at(37, 8), Tz::UTC).unwrap();
    assert!(
        next_day.is_empty(),
        "the spike on day 36 is within the cooldown: {next_day:?}"
    );
    let later = budget::evaluate(&store, at(39, 8), Tz::UTC).unwrap();
    assert_eq!(
        later.len(),
        2,
        "day 38 is past the {}-day cooldown",
        budget::engine::ANOMALY_COOLDOWN_DAYS
    );
}

#[test]
fn spend_counts_in_the_local_period_it_happened_in() {
    let fx = Fixture::new();
    let store = fx.store();
    monthly_budget(&store, "100");
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    // 31 March 23:30 CEST and 1 April 00:30 CEST.
    spend(&store, utc(2025, 3, 31, 21, 30), "m", dollars("1"));
    spend(&store, utc(2025, 3, 31, 22, 30), "m", dollars("2"));
    let march = budget::status(&store, utc(2025, 3, 31, 21, 45), &berlin).unwrap();
    assert_eq!(march[0].spent, dollars("1"));
    let april = budget::status(&store, utc(2025, 4, 2, 12, 0), &berlin).unwrap();
    assert_eq!(
        april[0].spent,
        dollars("2"),
        "00:30 on 1 April belongs to April"
    );
    // India is UTC+05:30: 18:15 UTC on 31 March is 23:45 there, 18:45 UTC is 00:15 on 1 April.
    let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
    spend(&store, utc(2025, 3, 31, 18, 15), "m", dollars("4"));
    spend(&store, utc(2025, 3, 31, 18, 45), "m", dollars("8"));
    let april = budget::status(&store, utc(2025, 4, 2, 12, 0), &kolkata).unwrap();
    assert_eq!(
        april[0].spent,
        dollars("11"),
        "8 + the 1 and 2 of the Berlin evening, not the 4"
    );
}

/// Budgets read the store once for all their scopes and match each row's scope in Rust (the model pattern by
/// SQLite's own GLOB). Their totals must be what each scope's SQL filter selects, on whole-hour and half-hour
/// zones alike, for every kind of scope.
#[test]
fn one_read_for_all_budgets_gives_each_scope_what_its_sql_filter_selects() {
    let fixture = Fixture::new();
    let store = fixture.store();
    let rows = [
        (
            "claude-code",
            "anthropic",
            "claude-sonnet-4-20250514",
            "alpha",
        ),
        ("claude-code", "anthropic", "claude-opus-4-1", "beta"),
        ("codex", "openai", "gpt-5", "alpha"),
        ("codex", "openai", "gpt-5-mini", "beta"),
        (
            "anthropic-api",
            "anthropic",
            "claude-sonnet-4-20250514",
            "alpha",
        ),
        ("openai-API", "openai", "gpt-5", ""),
        ("import", "openrouter", "Claude-[x]?", "alpha"),
    ];
    let start = utc(2025, 1, 1, 0, 0);
    let mut records = Vec::new();
    for day in 0..60i64 {
        for (i, (source, provider, model, project)) in rows.iter().enumerate() {
            // Every 7th hour plus a half-hour offset, so local midnights at :30 split some rollup hours.
            let at = start
                + chrono::Duration::minutes(day * 1440 + (i as i64 * 7 % 24) * 60 + 30 * (day % 2));
            let cost = Money::from_nanos(1_000_000 * (1 + (day * 3 + i as i64) % 11));
            records.push(UsageRecord {
                id: usage::record_id(&[format!("{day}-{i}").as_bytes()]),
                source: (*source).into(),
                provider: (*provider).into(),
                model: (*model).into(),
                project: (*project).into(),
                session: "s".into(),
                ts_ms: at.timestamp_millis(),
                tokens: TokenCounts {
                    input: 10,
                    ..TokenCounts::default()
                },
                requests: 1,
                cost: Some(cost),
                cost_origin: CostOrigin::Reported,
                reported_cost: Some(cost),
                fast: i == 1,
                message_key: None,
                sidechain: false,
                origin_path: None,
            });
        }
    }
    store
        .write(|tx| {
            usage::upsert(tx, &records, Conflict::Replace)?;
            usage::refresh_rollups(tx)
        })
        .unwrap();
    let scope = |provider: Option<&str>,
                 model: Option<&str>,
                 project: Option<&str>,
                 source: Option<&str>| Scope {
        provider: provider.map(Into::into),
        model: model.map(Into::into),
        project: project.map(Into::into),
        source: source.map(Into::into),
    };
    let scopes = [
        Scope::default(),
        scope(Some("anthropic"), None, None, None),
        scope(None, Some("claude-*"), None, None),
        scope(None, Some("gpt-5?mini"), None, None),
        scope(None, Some("Claude-[[]x]?"), None, None),
        scope(None, Some("claude-sonnet-4-20250514"), Some("alpha"), None),
        scope(None, None, None, Some("anthropic-api")),
        scope(None, None, None, Some("openai-API")),
        scope(Some("openai"), None, Some(""), None),
        scope(None, None, Some("nope"), None),
    ];
    let refs: Vec<&Scope> = scopes.iter().collect();
    for tz in ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"] {
        let tz: Tz = tz.parse().unwrap();
        let (from, to) = (d(2024, 12, 30), d(2025, 3, 3));
        let together =
            tallyvault::forecast::scoped_daily_totals(&store, &tz, &refs, from, to).unwrap();
        assert_eq!(together.len(), scopes.len());
        let mut nonzero = 0;
        for (scope, totals) in scopes.iter().zip(&together) {
            let alone = tallyvault::forecast::daily_rows(&store, &tz, scope, from, to).unwrap();
            let expected = tallyvault::forecast::daily_totals(&alone, from, to);
            assert_eq!(totals, &expected, "{} in {tz}", scope.describe());
            if totals.iter().any(|(_, m)| *m > Money::ZERO) {
                nonzero += 1;
            }
        }
        // Every scope has spend but two: project "nope", and openai's project "" (only the openai-API rows
        // have it, and they count only when a scope names that source, as the one before it does).
        assert_eq!(nonzero, scopes.len() - 2, "in {tz}");
    }
}

#[test]
fn local_sources_are_told_apart_in_rust_exactly_as_in_sql() {
    let fixture = Fixture::new();
    let store = fixture.store();
    for source in [
        "claude-code",
        "codex",
        "import",
        "openai-api",
        "Anthropic-API",
        "x-Api",
        "-api",
        "api",
        "",
        "ap-i",
        "é-api",
        "openai-apí",
        "openai-api ",
    ] {
        let sql: bool = store
            .read(|tx| {
                Ok(tx.query_row(
                    &format!(
                        "SELECT {} FROM (SELECT ?1 AS source)",
                        usage::LOCAL_SOURCE_SQL
                    ),
                    [source],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(usage::is_local_source(source), sql, "{source:?}");
    }
}
