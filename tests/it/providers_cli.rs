//! The provider commands as a user runs them, against the fake provider: add, list, poll, status,
//! `report reconcile` with exact figures, and a refused key that stops the account without leaking it into
//! the output or the captured log lines (`TALLYVAULT_LOG=debug`).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use tallyvault::pricing::{PriceTable, TokenCounts};
use tallyvault::store::Store;
use tallyvault::usage::{self, CostOrigin, UsageRecord};

use crate::common::{random_secret, PASSWORD};
use crate::providers_fake::{FakeProvider, Fault, Tokens, DAY, HOUR};

fn run(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyvault"))
        .args(args)
        .env("TALLYVAULT_HOME", dir)
        .env("TALLYVAULT_PASSWORD", PASSWORD)
        .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
        // Every log line the providers write is captured and checked for the key below.
        .env("TALLYVAULT_LOG", "debug")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tallyvault");
    let mut pipe = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        let _ = pipe.write_all(text.as_bytes());
    }
    drop(pipe);
    child.wait_with_output().expect("wait")
}

fn ok(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> String {
    let out = run(dir, args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn add_poll_status_reconcile_and_a_refused_key() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    let secret = random_secret();
    let fake = FakeProvider::start(&secret, 24);
    let now = chrono::Utc::now().timestamp();
    let today = now.div_euclid(DAY) * DAY;
    let day = today - 3 * DAY;
    let model = "gpt-4o-mini-2024-07-18";
    let hours = [day + 2 * HOUR, day + 9 * HOUR, day + 23 * HOUR];
    for (i, hour) in hours.iter().enumerate() {
        let t = Tokens {
            input: 100_000 * (i as u64 + 1),
            cached: 5_000,
            output: 7_777,
            requests: 3,
        };
        fake.set_usage("openai", "completions", *hour, model, "proj_a", t);
    }
    fake.set_cost(
        "openai",
        day,
        "",
        "proj_a",
        "gpt-4o-mini, input",
        "0.123456789",
    );
    fake.set_cost("openai", day, "", "proj_a", "gpt-4o-mini, output", "1.5");

    ok(home, &["init"], None);
    ok(
        home,
        &["creds", "add", "--label", "admin", "--provider", "openai"],
        Some(&format!("{secret}\n")),
    );
    let added = ok(
        home,
        &[
            "providers",
            "add",
            "openai",
            "--credential",
            "admin",
            "--base-url",
            &fake.url,
            "--interval",
            "15m",
        ],
        None,
    );
    assert!(added.contains("every 900s"), "{added}");
    // A second account on the same key: one audited key read per run, not per account.
    ok(
        home,
        &[
            "providers",
            "add",
            "anthropic",
            "--credential",
            "admin",
            "--base-url",
            &fake.url,
        ],
        None,
    );
    let bad = run(
        home,
        &["providers", "add", "nosuch", "--credential", "admin"],
        None,
    );
    assert!(!bad.status.success());
    let list = ok(home, &["providers", "list", "--json"], None);
    assert!(list.contains(&fake.url), "{list}");

    // A local-log estimate for the same provider and day.
    let store = Store::open(home).expect("store");
    let local = UsageRecord {
        id: usage::record_id(&[b"test-local"]),
        source: "codex".into(),
        provider: "openai".into(),
        model: model.into(),
        project: String::new(),
        session: String::new(),
        ts_ms: (day + 5 * HOUR) * 1000,
        tokens: TokenCounts {
            input: 1000,
            ..TokenCounts::default()
        },
        requests: 1,
        cost: Some(tallyvault::money::Money::from_nanos(250_000_000)),
        cost_origin: CostOrigin::Calculated,
        reported_cost: None,
        fast: false,
        message_key: None,
        sidechain: false,
        origin_path: None,
    };
    store
        .write(|tx| {
            usage::upsert(tx, &[local], usage::Conflict::KeepBetter)?;
            usage::refresh_rollups(tx)
        })
        .expect("local record");

    let polled = ok(home, &["poll", "--json"], None);
    let reports: serde_json::Value = serde_json::from_str(&polled).expect("poll json");
    assert_eq!(reports[0]["windows_failed"], 0, "{polled}");
    assert_eq!(reports[1]["windows_failed"], 0, "{polled}");
    assert!(reports[0]["requests"].as_u64().unwrap_or(0) > 0);

    // Reconcile: billed is the provider's sum, usage × price is computed from the same table, exactly.
    let date = chrono::DateTime::from_timestamp(day, 0)
        .expect("date")
        .format("%Y-%m-%d")
        .to_string();
    let text = ok(
        home,
        &[
            "report",
            "reconcile",
            "--since",
            &date,
            "--until",
            &date,
            "--json",
            "--breakdown",
        ],
        None,
    );
    let json: serde_json::Value = serde_json::from_str(&text).expect("reconcile json");
    let lines = json["reconcile"].as_array().expect("lines");
    let day_line = lines
        .iter()
        .find(|l| l["model"].is_null() && l["provider"] == "openai")
        .expect("a day line");
    let prices = PriceTable::bundled().expect("prices");
    let expected: i64 = hours
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let tokens = TokenCounts {
                input: 100_000 * (i as u64 + 1),
                cache_read: 5_000,
                output: 7_777,
                ..TokenCounts::default()
            };
            usage::price_tokens(&prices, model, &tokens, false)
                .0
                .expect("priced")
                .nanos()
        })
        .sum();
    assert_eq!(day_line["billed"], 1_623_456_789, "{day_line}");
    assert_eq!(day_line["usage_priced"], expected, "{day_line}");
    assert_eq!(day_line["local_estimate"], 250_000_000);
    assert_eq!(day_line["billed_minus_usage"], 1_623_456_789 - expected);
    assert_eq!(day_line["billed_minus_local"], 1_623_456_789 - 250_000_000);
    assert!(
        lines.iter().any(|l| l["model"] == model),
        "a per-model line: {text}"
    );
    let table = ok(
        home,
        &["report", "reconcile", "--since", &date, "--until", &date],
        None,
    );
    assert!(table.contains("$1.6234"), "{table}");

    // Default reports are the local logs' view; polled usage is shown when asked for, never added to it.
    let daily = ok(
        home,
        &[
            "report",
            "daily",
            "--json",
            "--no-scan",
            "--timezone",
            "UTC",
        ],
        None,
    );
    let daily: serde_json::Value = serde_json::from_str(&daily).expect("daily json");
    assert_eq!(
        daily["totals"]["totalCostNanos"], 250_000_000,
        "only the local record: {daily}"
    );
    let api = ok(
        home,
        &[
            "report",
            "daily",
            "--json",
            "--no-scan",
            "--timezone",
            "UTC",
            "--source",
            "openai-api",
        ],
        None,
    );
    let api: serde_json::Value = serde_json::from_str(&api).expect("api json");
    assert_eq!(
        api["totals"]["totalCostNanos"], expected,
        "the polled usage, priced: {api}"
    );

    // A truncated page fails its window: the poll says so, status lists the queued window, retry replays it.
    fake.fault(fake.request_count() + 1, Fault::Truncated);
    let partial = run(home, &["poll", "--provider", "openai"], None);
    assert!(
        !partial.status.success(),
        "a failed window is a failed poll"
    );
    let status = ok(home, &["providers", "status"], None);
    assert!(
        status.contains("1 queued") && status.contains("malformed response"),
        "{status}"
    );
    let replay = ok(home, &["providers", "retry", "--json"], None);
    assert!(replay.contains("\"windows_failed\": 0"), "{replay}");
    let status = ok(home, &["providers", "status", "--json"], None);
    let status: serde_json::Value = serde_json::from_str(&status).expect("status json");
    assert_eq!(
        status["queue"].as_array().map(Vec::len),
        Some(0),
        "{status}"
    );

    // The provider refuses the key and echoes it: the account stops, nothing leaks.
    fake.fault(fake.request_count() + 1, Fault::Unauthorized);
    let refused = run(home, &["poll"], None);
    assert!(!refused.status.success(), "a refused key is a failed poll");
    let status = ok(home, &["providers", "status"], None);
    assert!(status.contains("stopped: the key was refused"), "{status}");
    assert!(status.contains("Incorrect API key provided"), "{status}");
    let creds = ok(home, &["creds", "list", "--json"], None);
    assert!(
        creds.contains("Incorrect API key provided"),
        "the credential is marked invalid: {creds}"
    );
    let count = fake.request_count();
    let again = run(home, &["poll"], None);
    assert_eq!(fake.request_count(), count, "no request with a refused key");
    let audit = ok(
        home,
        &["audit", "list", "--action", "credential.use", "--json"],
        None,
    );
    let uses = serde_json::from_str::<serde_json::Value>(&audit).expect("audit json");
    assert_eq!(
        uses.as_array().map(Vec::len),
        Some(4),
        "one audited key use per poll run (two accounts share the key), none once it is refused"
    );
    let logs = String::from_utf8_lossy(&partial.stderr).into_owned()
        + &String::from_utf8_lossy(&refused.stderr);
    for line in [
        "tallyvault::providers",
        "poll run",
        "window failed, queued for retry",
        "GET",
        "path=/v1/organization/usage/completions",
        "poll run done",
    ] {
        assert!(logs.contains(line), "the log names {line:?}:\n{logs}");
    }
    for out in [&partial, &refused, &again] {
        for text in [&out.stdout, &out.stderr] {
            assert!(
                !String::from_utf8_lossy(text).contains(&secret),
                "the key leaked into the output"
            );
        }
    }
    assert!(!status.contains(&secret) && !creds.contains(&secret) && !polled.contains(&secret));
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The audit events of one action, as JSON.
fn audit_of(home: &std::path::Path, action: &str) -> String {
    ok(home, &["audit", "list", "--json", "--action", action], None)
}

/// Where a key is sent is the vault's business: a custom base URL asks for the master password (a wrong one
/// adds nothing), `http://` goes to this machine only, `set-url` changes it (audited), and an account whose URL
/// was written into the database without the vault is not polled.
#[test]
fn base_urls_need_the_password_and_https() {
    let dir = tempfile::tempdir().expect("dir");
    let home = dir.path();
    let secret = random_secret();
    let fake = FakeProvider::start(&secret, 24);
    ok(home, &["init"], None);
    ok(
        home,
        &["creds", "add", "--label", "admin", "--provider", "openai"],
        Some(&format!("{secret}\n")),
    );
    let add = |url: &str| -> Vec<String> {
        [
            "providers",
            "add",
            "openai",
            "--credential",
            "admin",
            "--base-url",
            url,
        ]
        .map(String::from)
        .to_vec()
    };
    let accounts = || {
        let store = Store::open(home).expect("store");
        tallyvault::providers::accounts::list(&store).expect("list")
    };

    // A wrong password: nothing added.
    let mut wrong = Command::new(env!("CARGO_BIN_EXE_tallyvault"));
    let refused = wrong
        .args(add(&fake.url))
        .env("TALLYVAULT_HOME", home)
        .env("TALLYVAULT_PASSWORD", "not the password")
        .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("wrong password"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(accounts().is_empty(), "a wrong password must add nothing");

    // Cleartext to another host: refused, and nothing added.
    let out = run(home, &strs(&add("http://collector.example.com")), None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
    assert!(accounts().is_empty());

    // The right password: added, approved and audited.
    let added = ok(home, &strs(&add(&fake.url)), None);
    assert!(added.contains("added openai account 1"), "{added}");
    let audit = audit_of(home, "provider.account_add");
    assert!(audit.contains(&fake.url), "{audit}");

    // set-url: http to another host refused; https accepted and audited.
    let out = run(
        home,
        &["providers", "set-url", "1", "http://collector.example.com"],
        None,
    );
    assert!(!out.status.success());
    assert_eq!(accounts()[0].base_url.as_deref(), Some(fake.url.as_str()));
    let changed = ok(
        home,
        &["providers", "set-url", "1", "https://proxy.example.com/v1/"],
        None,
    );
    assert!(
        changed.contains("https://proxy.example.com/v1"),
        "{changed}"
    );
    let audit = audit_of(home, "provider.base_url_change");
    assert!(audit.contains("https://proxy.example.com/v1"), "{audit}");
    assert!(audit.contains("previous_base_url"), "{audit}");

    // The database edited to point at the fake host without the vault: the poll refuses it, sends nothing.
    let conn = rusqlite::Connection::open(home.join("tallyvault.db")).expect("db");
    conn.execute(
        "UPDATE provider_accounts SET base_url = ?1 WHERE id = 1",
        [&fake.url],
    )
    .expect("edit");
    let polled = run(home, &["poll", "--json"], None);
    let stdout = String::from_utf8_lossy(&polled.stdout);
    assert!(stdout.contains("not approved"), "{stdout}");
    assert_eq!(
        fake.request_count(),
        0,
        "the key went to an unapproved host"
    );
    let audit = audit_of(home, "credential.use");
    assert_eq!(
        audit.trim(),
        "[]",
        "the key must not be read for an unapproved host"
    );

    // Back to the provider's own URL.
    let reset = ok(home, &["providers", "set-url", "1", "--default"], None);
    assert!(reset.contains("the provider's own URL"), "{reset}");
    assert_eq!(accounts()[0].base_url, None);
}
