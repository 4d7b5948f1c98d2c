//! Load (issue 7): 1,000,000 usage records, 100 budgets and 20 provider accounts. The dashboard's queries and
//! the reports are timed while a poll of the 20 accounts (an in-process fake transport answering OpenAI's
//! usage pages) and a scan of 100,000 new Claude Code lines run; then 16 threads write at once (usage
//! upserts with rollups, audited vault writes). Prints its figures; exits non-zero when a target is missed,
//! a writer saw SQLITE_BUSY or any operation failed.
//!
//! Run: `cargo bench --bench load` (release; the targets are for it), `cargo bench --profile dev --bench load`
//! for a quick look. `TALLYVAULT_LOAD_RECORDS` (default 1,000,000) scales the records.
//! Targets (release build; a debug build prints its timings without judging them): dashboard p95 ≤ 50 ms
//! (issue 6's goal), each report over the rollups p95 ≤ 1 s, the session report (every record) p95 ≤ 5 s.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tallyvault::budget::{self, budgets, BudgetSpec, PeriodKind, Scope};
use tallyvault::chart::{self, Breakdown, Theme};
use tallyvault::clock::SystemClock;
use tallyvault::crypto::{KdfPolicy, SecretString};
use tallyvault::dashboard::{self, DashboardQuery};
use tallyvault::money::Money;
use tallyvault::pricing::{PriceTable, TokenCounts};
use tallyvault::providers::accounts::{self, NewAccount};
use tallyvault::providers::http::{Headers, HttpResponse, Transport, TransportError};
use tallyvault::providers::poll::{Plan, PollPolicy, Poller};
use tallyvault::report::{self, Grouping, ReportQuery};
use tallyvault::sources::{self, Quiet, ScanRequest, SourceKind};
use tallyvault::store::Store;
use tallyvault::usage::{self, Conflict, CostOrigin, UsageRecord};
use tallyvault::vault::{CredentialRef, NewCredential, Provider, Purpose, Vault};

const DASHBOARD_P95: Duration = Duration::from_millis(50);
/// Reports read the hourly rollups; the session report reads every record (sessions cross hours and have no
/// rollup of their own), so its target is wider.
const REPORT_P95: Duration = Duration::from_secs(1);
const SESSION_REPORT_P95: Duration = Duration::from_secs(5);
/// Latency targets are for optimised builds: a debug build (the quick form of scripts/harden) reports its
/// timings and still fails on errors, SQLITE_BUSY or a broken audit chain.
const ENFORCE_LATENCY: bool = !cfg!(debug_assertions);
const MODELS: [(&str, &str); 8] = [
    ("claude-sonnet-4-5", "anthropic"),
    ("claude-opus-4-1", "anthropic"),
    ("claude-haiku-4-5", "anthropic"),
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("gpt-5", "openai"),
    ("o3", "openai"),
    ("openai/gpt-4o", "openrouter"),
];

fn record(i: u64, now_ms: i64, source: &str) -> UsageRecord {
    // Spread over the last 400 days the way one heavy user's agents write: each hour works on one project
    // with three of the eight models (a few hourly rollup rows per source), in sessions of about three hours.
    let ts_ms = now_ms - ((i * 7_919) % (400 * 86_400)) as i64 * 1000;
    let hour = ts_ms.div_euclid(3_600_000) as u64;
    let (model, provider) = MODELS[((hour % 3) * 3 + i % 3) as usize % MODELS.len()];
    let tokens = TokenCounts {
        input: 500 + i % 5000,
        output: 100 + i % 900,
        cache_read: i % 3000,
        ..TokenCounts::default()
    };
    UsageRecord {
        id: usage::record_id(&[source.as_bytes(), &i.to_be_bytes()]),
        source: source.into(),
        provider: provider.into(),
        model: model.into(),
        project: format!("project-{}", (hour / 5) % 10),
        session: format!("session-{}", hour / 3),
        ts_ms,
        tokens,
        requests: 1,
        cost: Some(Money::from_nanos(1_000 * (1 + (i % 5000) as i64))),
        cost_origin: CostOrigin::Calculated,
        reported_cost: None,
        fast: false,
        message_key: None,
        sidechain: false,
        origin_path: None,
    }
}

/// OpenAI's completions usage endpoint for any window: one bucket an hour, two models.
struct FakeOpenAi {
    requests: AtomicU64,
}

impl Transport for FakeOpenAi {
    fn get(
        &self,
        url: &str,
        query: &[(String, String)],
        _headers: &Headers,
    ) -> Result<HttpResponse, TransportError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let arg = |k: &str| {
            query
                .iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .unwrap_or(0)
        };
        let (start, end) = (arg("start_time"), arg("end_time"));
        let mut data = Vec::new();
        if url.ends_with("/usage/completions") {
            let mut at = start;
            while at < end {
                data.push(serde_json::json!({
                    "start_time": at,
                    "results": [
                        {"input_tokens": 1000, "output_tokens": 100, "num_model_requests": 2, "model": "gpt-4o", "project_id": "p"},
                        {"input_tokens": 3000, "output_tokens": 10, "num_model_requests": 1, "model": "gpt-4o-mini", "project_id": "p"}
                    ]
                }));
                at += 3600;
            }
        }
        let body = serde_json::json!({"data": data, "has_more": false, "next_page": null});
        Ok(HttpResponse {
            status: 200,
            retry_after: None,
            body: body.to_string().into_bytes(),
        })
    }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i]
}

fn write_logs(dir: &Path, files: usize, lines: usize) {
    for f in 0..files {
        let project = dir.join(format!("projects/-home-u-app{}", f % 5));
        std::fs::create_dir_all(&project).expect("project dir");
        let mut text = String::with_capacity(lines * 300);
        for l in 0..lines {
            text.push_str(&format!(
                r#"{{"type":"assistant","timestamp":"2026-10-{:02}T{:02}:00:00.000Z","requestId":"r-{f}-{l}","message":{{"id":"m-{f}-{l}","model":"claude-sonnet-4-5","usage":{{"input_tokens":{},"output_tokens":20}}}}}}"#,
                1 + l % 28,
                l % 24,
                100 + l
            ));
            text.push('\n');
        }
        std::fs::write(project.join(format!("s{f}.jsonl")), text).expect("log");
    }
}

fn main() {
    // `cargo test --all-targets` and nextest run bench binaries to list or smoke-test them: this one only
    // runs under `cargo bench` (which passes --bench).
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let total: u64 = std::env::var("TALLYVAULT_LOAD_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let mut failures: Vec<String> = Vec::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let policy = KdfPolicy::insecure_for_tests(1000);
    let password = SecretString::new("load test password".into());
    let vault = Arc::new(
        Vault::create(
            dir.path(),
            store.clone(),
            &password,
            &policy,
            Arc::new(SystemClock),
        )
        .expect("vault"),
    );
    let now = Utc::now();
    let now_ms = now.timestamp_millis();
    let now_text = now.to_rfc3339();

    // 1. the data
    let started = Instant::now();
    let batch = 20_000u64;
    let mut i = 0;
    while i < total {
        let records: Vec<UsageRecord> = (i..(i + batch).min(total))
            .map(|n| record(n, now_ms, if n % 3 == 0 { "codex" } else { "claude-code" }))
            .collect();
        store
            .write(|tx| {
                usage::upsert(tx, &records, Conflict::KeepBetter)?;
                usage::refresh_rollups(tx)
            })
            .expect("ingest");
        i += batch;
    }
    let ingest = started.elapsed();
    for b in 0..100 {
        let (model, provider) = MODELS[b % MODELS.len()];
        let scope = match b % 4 {
            0 => Scope::default(),
            1 => Scope {
                provider: Some(provider.into()),
                ..Scope::default()
            },
            2 => Scope {
                model: Some(if b % 8 == 2 {
                    "claude-*".into()
                } else {
                    model.into()
                }),
                ..Scope::default()
            },
            _ => Scope {
                project: Some(format!("project-{}", b % 10)),
                ..Scope::default()
            },
        };
        let spec = BudgetSpec {
            name: Some(format!("budget-{b}")),
            amount: Some(Money::from_nanos(1_000_000_000 * (10 + b as i64))),
            period: Some([PeriodKind::Day, PeriodKind::Week, PeriodKind::Month][b % 3]),
            scope,
            ..BudgetSpec::default()
        };
        budgets::add(&store, spec, &now_text).expect("budget");
    }
    let mut accounts = Vec::new();
    for a in 0..20 {
        let meta = vault
            .add_credential(NewCredential {
                provider: Some(Provider::OpenAI),
                label: format!("admin-{a}"),
                secret: SecretString::new(format!("sk-admin-load-{a:04}-xxxxxxxxxxxxxxxx")),
                note: None,
                expires_at: None,
            })
            .expect("credential");
        let account = accounts::add(
            &store,
            &NewAccount {
                provider: "openai".into(),
                credential_id: meta.id,
                base_url: Some("https://fake.invalid".into()),
                interval_secs: 900,
                backfill_days: 7,
            },
            &now_text,
        )
        .expect("account");
        accounts.push(account);
    }
    let budget_alerts = budget::evaluate(&store, now, chrono_tz::UTC).map_or(0, |a| a.len());
    println!(
        "data: {total} records ingested in {:.1} s ({:.0} records/s), 100 budgets ({budget_alerts} alerts raised), 20 provider accounts",
        ingest.as_secs_f64(),
        total as f64 / ingest.as_secs_f64()
    );

    // 2. queries while a poll and a scan run
    let logs = dir.path().join("claude");
    write_logs(&logs, 50, 2000);
    let busy = Arc::new(AtomicBool::new(true));
    let poll_thread = {
        let store = store.clone();
        let vault = Arc::clone(&vault);
        let accounts = accounts.clone();
        std::thread::spawn(move || -> Result<(u64, u64, Duration), String> {
            let started = Instant::now();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .map_err(|e| e.to_string())?;
            let transport = Arc::new(FakeOpenAi {
                requests: AtomicU64::new(0),
            });
            let prices = Arc::new(PriceTable::load(&store).map_err(|e| e.to_string())?);
            let poller = Poller::new(
                store.clone(),
                transport.clone(),
                prices,
                PollPolicy::default(),
                Utc::now().timestamp_millis(),
            );
            let mut rows = 0;
            for account in &accounts {
                let secret = vault
                    .read_secret(&CredentialRef::Id(account.credential_id), Purpose::Use)
                    .map_err(|e| e.to_string())?;
                let since = Utc::now().timestamp() - 7 * 86_400;
                let report = rt
                    .block_on(poller.poll(account, &secret, Plan::Since(since)))
                    .map_err(|e| e.to_string())?;
                if report.windows_failed > 0 {
                    return Err(format!(
                        "account {}: {} windows failed",
                        account.id, report.windows_failed
                    ));
                }
                rows += report.usage_rows;
            }
            Ok((
                transport.requests.load(Ordering::Relaxed),
                rows,
                started.elapsed(),
            ))
        })
    };
    let scan_thread = {
        let store = store.clone();
        let logs = logs.clone();
        std::thread::spawn(move || -> Result<(u64, Duration), String> {
            let started = Instant::now();
            let prices = PriceTable::load(&store).map_err(|e| e.to_string())?;
            let summary = sources::scan(
                &store,
                &prices,
                &ScanRequest {
                    sources: vec![SourceKind::ClaudeCode],
                    roots: Some(vec![logs]),
                },
                &Quiet,
            )
            .map_err(|e| e.to_string())?;
            Ok((summary.records_written as u64, started.elapsed()))
        })
    };
    let tz = chrono_tz::Europe::Berlin;
    // What the desktop's dashboard command does: `dashboard::load` (today, week, month, the month's forecast,
    // the 100 budgets' status and projections, open alerts, the 30-day series) and the chart drawn as SVG.
    let dashboard = || -> tallyvault::Result<()> {
        let query = DashboardQuery {
            now,
            timezone: tz,
            chart_days: 30,
            breakdown: Breakdown::Provider,
        };
        let d = dashboard::load(&store, &query)?;
        chart::render_svg(&d.chart, Theme::Light, (960, 340))?;
        Ok(())
    };
    let reports = [
        ("daily", Grouping::Daily),
        ("monthly", Grouping::Monthly),
        ("models", Grouping::Models),
        ("projects", Grouping::Projects),
        ("session", Grouping::Session),
    ];
    let mut dash_samples = Vec::new();
    let mut report_samples: Vec<Vec<Duration>> = vec![Vec::new(); reports.len()];
    // Each round: the dashboard, then one of the reports in turn (a report over every record takes longer
    // than the dashboard; this way both are sampled all through the poll and the scan). At least 50 rounds.
    let mut rounds = 0;
    let concurrent_started = Instant::now();
    while busy.load(Ordering::Relaxed) || rounds < 50 {
        let t = Instant::now();
        if let Err(e) = dashboard() {
            failures.push(format!("dashboard: {e}"));
        }
        dash_samples.push(t.elapsed());
        let k = rounds % reports.len();
        let (name, grouping) = reports[k];
        let t = Instant::now();
        if let Err(e) = report::run(&store, &ReportQuery::new(grouping, tz)) {
            failures.push(format!("report {name}: {e}"));
        }
        report_samples[k].push(t.elapsed());
        rounds += 1;
        if poll_thread.is_finished() && scan_thread.is_finished() {
            busy.store(false, Ordering::Relaxed);
        }
    }
    let concurrent = concurrent_started.elapsed();
    match poll_thread.join() {
        Ok(Ok((requests, rows, took))) => println!(
            "poll: 20 accounts, {requests} requests, {rows} usage rows in {:.1} s",
            took.as_secs_f64()
        ),
        Ok(Err(e)) => failures.push(format!("poll: {e}")),
        Err(_) => failures.push("poll: panicked".into()),
    }
    match scan_thread.join() {
        Ok(Ok((written, took))) => println!(
            "scan: 100,000 lines, {written} records written in {:.1} s",
            took.as_secs_f64()
        ),
        Ok(Err(e)) => failures.push(format!("scan: {e}")),
        Err(_) => failures.push("scan: panicked".into()),
    }
    let p95 = percentile(&mut dash_samples, 0.95);
    println!(
        "dashboard command (dashboard::load with 100 budgets' status and projections, open alerts, 30-day chart as SVG), {} rounds in {:.1} s during the poll and scan: p50 {:?}, p95 {:?}, max {:?} (target p95 ≤ {:?})",
        dash_samples.len(),
        concurrent.as_secs_f64(),
        percentile(&mut dash_samples, 0.5),
        p95,
        percentile(&mut dash_samples, 1.0),
        DASHBOARD_P95
    );
    if ENFORCE_LATENCY && p95 > DASHBOARD_P95 {
        failures.push(format!("dashboard p95 {p95:?} over {DASHBOARD_P95:?}"));
    }
    for (k, (name, grouping)) in reports.iter().enumerate() {
        let samples = &mut report_samples[k];
        let p95 = percentile(samples, 0.95);
        let target = if *grouping == Grouping::Session {
            SESSION_REPORT_P95
        } else {
            REPORT_P95
        };
        println!(
            "report {name} (all {total} records, Europe/Berlin): p50 {:?}, p95 {p95:?}, max {:?} (target p95 ≤ {target:?})",
            percentile(samples, 0.5),
            percentile(samples, 1.0)
        );
        if ENFORCE_LATENCY && p95 > target {
            failures.push(format!("report {name} p95 {p95:?} over {target:?}"));
        }
    }

    // 3. sixteen writers at once
    let started = Instant::now();
    let writers: Vec<_> = (0..16u64)
        .map(|t| {
            let store = store.clone();
            let vault = Arc::clone(&vault);
            std::thread::spawn(move || -> (u64, u64, Vec<String>) {
                let (mut ok, mut busy, mut errors) = (0, 0, Vec::new());
                for round in 0..40u64 {
                    let base = 10_000_000_000 + t * 1_000_000 + round * 100;
                    let records: Vec<UsageRecord> = (base..base + 100)
                        .map(|n| record(n, now_ms, "csv:load"))
                        .collect();
                    let result = if round % 4 == 3 {
                        vault.set_setting(&format!("writer-{t}"), &round.to_string())
                    } else {
                        store.write(|tx| {
                            usage::upsert(tx, &records, Conflict::Replace)?;
                            usage::refresh_rollups(tx).map(|_| ())
                        })
                    };
                    match result {
                        Ok(()) => ok += 1,
                        Err(tallyvault::Error::Database(rusqlite::Error::SqliteFailure(e, _)))
                            if e.code == rusqlite::ErrorCode::DatabaseBusy
                                || e.code == rusqlite::ErrorCode::DatabaseLocked =>
                        {
                            busy += 1
                        }
                        Err(e) => errors.push(e.to_string()),
                    }
                }
                (ok, busy, errors)
            })
        })
        .collect();
    let (mut ok, mut busy_total) = (0, 0);
    for w in writers {
        match w.join() {
            Ok((o, b, errors)) => {
                ok += o;
                busy_total += b;
                failures.extend(errors.into_iter().map(|e| format!("writer: {e}")));
            }
            Err(_) => failures.push("writer: panicked".into()),
        }
    }
    let took = started.elapsed();
    println!(
        "16 concurrent writers: {ok} transactions ({} records, {} audited settings) in {:.1} s, {busy_total} SQLITE_BUSY",
        16 * 30 * 100,
        16 * 10,
        took.as_secs_f64()
    );
    if busy_total > 0 {
        failures.push(format!("{busy_total} writes failed with SQLITE_BUSY"));
    }
    match vault.verify_audit() {
        Ok(report) if report.is_ok() => println!("audit log verifies: {} events", report.events),
        Ok(report) => failures.push(format!("audit verify: {:?}", report.problem)),
        Err(e) => failures.push(format!("audit verify: {e}")),
    }
    if failures.is_empty() && ENFORCE_LATENCY {
        println!("load: all targets met");
    } else if failures.is_empty() {
        println!(
            "load: no failed operation, no SQLITE_BUSY, audit verifies (latency is judged in a release build only)"
        );
    } else {
        for f in &failures {
            eprintln!("load: FAILED: {f}");
        }
        std::process::exit(1);
    }
}
