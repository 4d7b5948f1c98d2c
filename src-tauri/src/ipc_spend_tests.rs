//! The spend, budget and source commands through Tauri's real IPC layer on the mock runtime: a scan of a fixture
//! Claude Code folder, the dashboard's exact totals and chart, the explorer and its exports, budgets and alerts,
//! and the providers and sources page. None of them needs the vault unlocked.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use tallyvault::sources::{ScanRequest, SourceKind};
use tauri::{Listener, Manager};

use crate::ipc_tests::{Harness, SECRET};

/// Two assistant messages a second ago, with the costs Claude Code reported: $1.25 and $2.50.
fn write_fixture(dir: &Path) {
    let projects = dir.join("claude").join("projects").join("-home-me-shop");
    std::fs::create_dir_all(&projects).expect("fixture dir");
    let at = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let line = |n: u32, cost: &str, model: &str| {
        format!(
            r#"{{"type":"assistant","timestamp":"{at}","requestId":"req_{n}","costUSD":{cost},"message":{{"id":"msg_{n}","model":"{model}","usage":{{"input_tokens":1000,"output_tokens":200}}}}}}"#
        )
    };
    let text = [
        line(1, "1.25", "claude-sonnet-4-20250514"),
        line(2, "2.5", "claude-opus-4-20250514"),
    ]
    .join("\n")
        + "\n";
    std::fs::write(projects.join("session-1.jsonl"), text).expect("fixture file");
}

fn harness() -> Harness {
    Harness::with_state(|dir, state| {
        write_fixture(dir);
        state.scan_request = ScanRequest {
            sources: vec![SourceKind::ClaudeCode],
            roots: Some(vec![dir.join("claude")]),
        };
    })
}

fn dashboard(h: &Harness, breakdown: &str) -> Value {
    h.ok(
        "dashboard",
        json!({ "request": { "chartDays": 30, "breakdown": breakdown, "theme": "light" } }),
    )
}

#[test]
fn scan_now_fills_the_dashboard_without_a_vault() {
    let h = harness();
    let (sender, events) = mpsc::channel();
    h.app
        .listen_any(crate::notify::USAGE_CHANGED_EVENT, move |event| {
            let _ = sender.send(event.payload().to_string());
        });
    let empty = dashboard(&h, "provider");
    assert_eq!(
        empty["today"]["cost"],
        json!({ "nanos": 0, "text": "$0.00" })
    );

    let scan = h.ok("scan_now", json!({}));
    assert_eq!(scan["recordsWritten"], json!(2));
    assert_eq!(scan["usageLines"], json!(2));
    let event: Value = serde_json::from_str(
        &events
            .recv_timeout(Duration::from_secs(5))
            .expect("a usage-changed event"),
    )
    .expect("JSON payload");
    assert_eq!(event["reason"], json!("scan"));
    assert_eq!(event["recordsWritten"], json!(2));

    let d = dashboard(&h, "model");
    assert_eq!(
        d["today"]["cost"],
        json!({ "nanos": 3_750_000_000_i64, "text": "$3.75" }),
        "exact money, rendered by the core"
    );
    assert_eq!(d["today"]["requests"], json!(2));
    assert_eq!(d["month"]["cost"]["nanos"], json!(3_750_000_000_i64));
    assert_eq!(d["forecast"]["level"], json!(0.8));
    assert_eq!(d["forecast"]["spent"]["nanos"], json!(3_750_000_000_i64));
    let svg = d["chart"]["svg"].as_str().expect("an SVG");
    assert!(svg.contains("<title id=\"tallyvault-chart-title\">Daily spend by model"));
    assert!(svg.contains("<desc"), "the chart describes itself");
    let series: Vec<&str> = d["chart"]["series"]
        .as_array()
        .expect("series")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        series,
        ["claude-opus-4-20250514", "claude-sonnet-4-20250514"]
    );

    let again = h.ok("scan_now", json!({}));
    assert_eq!(
        again["recordsWritten"],
        json!(0),
        "a rescan reads nothing new"
    );
    assert_eq!(
        dashboard(&h, "provider")["today"]["cost"]["nanos"],
        json!(3_750_000_000_i64),
        "and changes no total"
    );
    assert_eq!(
        h.call(
            "dashboard",
            json!({ "request": { "chartDays": 30, "breakdown": "colour", "theme": "light" } })
        )
        .expect_err("unknown breakdown")["code"],
        json!("invalid_input")
    );
}

#[test]
fn a_crossed_budget_raises_its_alert_which_can_be_acknowledged() {
    let h = harness();
    h.ok("scan_now", json!({}));
    let input = |amount: &str| {
        json!({ "input": {
            "name": "daily cap", "amount": amount, "period": "day", "cycleDay": null,
            "scope": { "provider": "anthropic" }, "thresholds": "50,100", "forecastAlert": false
        } })
    };
    let id = h.ok("add_budget", input("2")).as_i64().expect("an id");
    let budgets = h.ok("list_budgets", json!({}));
    assert_eq!(budgets[0]["id"], json!(id));
    assert_eq!(budgets[0]["over"], json!(true), "$3.75 is over $2");
    assert_eq!(budgets[0]["scopeText"], json!("provider=anthropic"));
    let alerts = h.ok("list_alerts", json!({ "all": false }));
    let thresholds: Vec<i64> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .filter_map(|a| a["threshold"].as_i64())
        .collect();
    assert_eq!(thresholds, [100, 50], "newest first, each threshold once");
    assert_eq!(
        dashboard(&h, "provider")["alerts"].as_array().map(Vec::len),
        Some(2),
        "the dashboard lists the open alerts"
    );
    let first = alerts[0]["id"].as_i64().expect("id");
    let acked = h.ok("acknowledge_alert", json!({ "id": first }));
    assert_eq!(acked["state"], json!("acknowledged"));
    assert_eq!(
        dashboard(&h, "provider")["alerts"].as_array().map(Vec::len),
        Some(1)
    );

    h.ok(
        "edit_budget",
        json!({ "id": id, "input": input("100")["input"] }),
    );
    assert_eq!(h.ok("list_budgets", json!({}))[0]["over"], json!(false));
    assert_eq!(
        h.call("add_budget", input("-3")).expect_err("negative")["code"],
        json!("invalid_input")
    );
    h.ok("delete_budget", json!({ "id": id }));
    assert_eq!(h.ok("list_budgets", json!({})), json!([]));
    assert_eq!(
        h.call("delete_budget", json!({ "id": id }))
            .expect_err("gone")["code"],
        json!("not_found")
    );
    assert_eq!(
        h.ok("list_alerts", json!({ "all": true }))
            .as_array()
            .map(Vec::len),
        Some(2),
        "alerts outlive their budget"
    );
}

#[test]
fn the_explorer_pages_and_exports_csv_and_png() {
    let h = harness();
    h.ok("scan_now", json!({}));
    let page = h.ok(
        "usage_page",
        json!({ "query": { "sort": "cost", "descending": true, "limit": 1 } }),
    );
    assert_eq!(page["totalRows"], json!(2));
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["rows"][0]["model"], json!("claude-opus-4-20250514"));
    assert_eq!(page["rows"][0]["project"], json!("-home-me-shop"));
    assert_eq!(page["totals"]["cost"]["text"], json!("$3.75"));
    let facets = h.ok("usage_facets", json!({ "query": {} }));
    assert_eq!(facets["sources"], json!(["claude-code"]));
    assert_eq!(
        h.call("usage_page", json!({ "query": { "sort": "colour" } }))
            .expect_err("bad sort")["code"],
        json!("invalid_input")
    );
    assert_eq!(
        h.call("usage_page", json!({ "query": { "since": "last week" } }))
            .expect_err("bad date")["code"],
        json!("invalid_input")
    );

    let csv_path = h.dir.path().join("usage.csv");
    let out = h.ok(
        "export_usage_csv",
        json!({ "query": { "models": ["claude-sonnet-4-20250514"] }, "path": csv_path.display().to_string() }),
    );
    assert_eq!(out["rows"], json!(1));
    let text = std::fs::read_to_string(&csv_path).expect("CSV written");
    assert!(text.starts_with("date,source,provider,model,project,"));
    assert!(text.contains(",1.25,"), "exact decimal cost: {text}");
    assert_eq!(
        h.call(
            "export_usage_csv",
            json!({ "query": {}, "path": csv_path.display().to_string() })
        )
        .expect_err("exists")["code"],
        json!("invalid_input"),
        "an export never overwrites a file"
    );

    let png_path = h.dir.path().join("spend.png");
    h.ok(
        "export_chart_png",
        json!({ "export": { "chartDays": 7, "breakdown": "provider", "theme": "dark", "path": png_path.display().to_string() } }),
    );
    let png = std::fs::read(&png_path).expect("PNG written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        h.call(
            "export_chart_png",
            json!({ "export": { "chartDays": 7, "breakdown": "provider", "theme": "dark", "path": "spend.png" } })
        )
        .expect_err("relative")["code"],
        json!("invalid_input")
    );
}

#[test]
fn the_sources_page_shows_scans_and_accounts_and_never_a_secret() {
    let h = harness();
    let before = h.ok("sources_overview", json!({}));
    assert_eq!(before["lastScan"], Value::Null);
    assert_eq!(before["accounts"], json!([]));
    h.ok("scan_now", json!({}));
    let after = h.ok("sources_overview", json!({}));
    assert_eq!(after["lastScan"]["recordsWritten"], json!(2));
    let claude = after["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == json!("claude-code"))
        .expect("claude-code listed")
        .clone();
    assert_eq!(claude["files"], json!(1));
    assert!(claude["lastScanAt"].is_string());

    assert_eq!(
        h.call("poll_now", json!({})).expect_err("no accounts")["code"],
        json!("not_found")
    );
    h.created_with_credential();
    for payload in [
        h.ok("sources_overview", json!({})),
        dashboard(&h, "provider"),
        h.ok("usage_page", json!({ "query": {} })),
    ] {
        let text = payload.to_string();
        assert!(
            !text.contains(SECRET) && !text.contains("TESTONLY"),
            "a spend payload leaked the secret: {text}"
        );
    }
}

fn next_event(events: &mpsc::Receiver<String>) -> Value {
    let text = events
        .recv_timeout(Duration::from_secs(10))
        .expect("a usage-changed event in time");
    serde_json::from_str(&text).expect("JSON payload")
}

#[test]
fn the_watcher_scans_at_start_and_again_when_a_log_grows() {
    let h = harness();
    let (sender, events) = mpsc::channel();
    h.app
        .listen_any(crate::notify::USAGE_CHANGED_EVENT, move |event| {
            let _ = sender.send(event.payload().to_string());
        });
    crate::background::spawn_watcher(h.app.handle().clone());
    let start = next_event(&events);
    assert_eq!(
        (start["reason"].clone(), start["recordsWritten"].clone()),
        (json!("start"), json!(2))
    );
    // The watch is set up right after the first scan; give inotify a moment before writing.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !h.ok("sources_overview", json!({}))["watching"]
        .as_bool()
        .unwrap_or(false)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the folders are watched"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let file = h
        .dir
        .path()
        .join("claude/projects/-home-me-shop/session-1.jsonl");
    let at = chrono::Utc::now().to_rfc3339();
    let line = format!(
        r#"{{"type":"assistant","timestamp":"{at}","requestId":"req_3","costUSD":0.5,"message":{{"id":"msg_3","model":"claude-sonnet-4-20250514","usage":{{"input_tokens":10,"output_tokens":20}}}}}}"#
    );
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .expect("open the log");
    writeln!(f, "{line}").expect("append a line");
    drop(f);
    let watched = next_event(&events);
    assert_eq!(
        (watched["reason"].clone(), watched["recordsWritten"].clone()),
        (json!("watch"), json!(1)),
        "only the new line is read"
    );
    assert_eq!(
        dashboard(&h, "provider")["today"]["cost"]["nanos"],
        json!(4_250_000_000_i64)
    );
    let (today, month) = crate::tray::spend_lines(&h.app.state::<crate::state::AppState>());
    assert_eq!(
        (today.as_str(), month.as_str()),
        ("Today: $4.25", "This month: $4.25"),
        "the tray's menu shows the same money"
    );
}
