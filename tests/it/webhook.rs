//! The alert webhook, delivered to a loopback HTTP server (tiny_http): retried on 500, and its URL (a secret)
//! never printed, logged, stored in the clear or put in an error.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use tallyvault::budget::{self, alerts, budgets, webhook, BudgetSpec, PeriodKind};
use tallyvault::crypto::SecretString;
use tallyvault::money::Money;

use crate::budget::spend;
use crate::common::{Fixture, PASSWORD};

/// A loopback server that answers the first `failures` requests with 500 and the rest with 200, recording
/// each request's path and body. It stops after `limit` requests or 20 seconds.
struct Server {
    url: String,
    received: Arc<Mutex<Vec<(String, String)>>>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Server {
    fn start(failures: usize, limit: usize) -> Server {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind a loopback port");
        let port = server.server_addr().to_ip().expect("an IP address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let handle = thread::spawn(move || {
            for n in 0..limit {
                let Ok(Some(mut request)) = server.recv_timeout(Duration::from_secs(20)) else {
                    return;
                };
                let mut body = String::new();
                let _ = request.as_reader().read_to_string(&mut body);
                log.lock().unwrap().push((request.url().to_string(), body));
                let status = if n < failures { 500 } else { 200 };
                let _ = request
                    .respond(tiny_http::Response::from_string("ok").with_status_code(status));
            }
        });
        Server {
            // The path plays the part of Slack's secret token.
            url: format!("http://127.0.0.1:{port}/services/T000/B000/sekrit-token-4242"),
            received,
            handle: Some(handle),
        }
    }

    fn requests(&self) -> Vec<(String, String)> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The thread ends by itself at its limit or timeout; do not wait for it here.
        drop(self.handle.take());
    }
}

const TOKEN: &str = "sekrit-token-4242";

fn fast_policy() -> webhook::RetryPolicy {
    webhook::RetryPolicy {
        attempts: 4,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        timeout: Duration::from_secs(5),
    }
}

#[test]
fn a_500_is_retried_and_the_alert_delivered() {
    let server = Server::start(2, 3);
    let url = SecretString::new(server.url.clone());
    let attempts =
        webhook::post(&url, &serde_json::json!({"text": "hello"}), &fast_policy()).unwrap();
    assert_eq!(attempts, 3, "two 500s, then a 200");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests
        .iter()
        .all(|(_, body)| body == r#"{"text":"hello"}"#));
}

#[test]
fn giving_up_names_the_status_not_the_url() {
    let server = Server::start(10, 4);
    let url = SecretString::new(server.url.clone());
    let failure =
        webhook::post(&url, &serde_json::json!({"text": "x"}), &fast_policy()).unwrap_err();
    assert_eq!(failure.attempts, 4);
    assert_eq!(failure.reason, "HTTP 500");
    let error: tallyvault::Error = failure.clone().into();
    for text in [
        failure.to_string(),
        format!("{failure:?}"),
        error.to_string(),
        format!("{error:?}"),
    ] {
        assert!(
            !text.contains(TOKEN) && !text.contains("127.0.0.1"),
            "{text}"
        );
    }
    // A refused connection: nothing listens on port 9 of loopback.
    let closed = SecretString::new(format!("http://127.0.0.1:9/{TOKEN}"));
    let quick = webhook::RetryPolicy {
        attempts: 2,
        ..fast_policy()
    };
    let failure = webhook::post(&closed, &serde_json::json!({}), &quick).unwrap_err();
    assert!(!format!("{failure:?}").contains(TOKEN), "{failure:?}");
}

#[test]
fn alerts_raised_after_an_ingest_reach_the_webhook_and_the_url_stays_secret() {
    let fx = Fixture::new();
    let vault = fx.create();
    let server = Server::start(1, 10);
    webhook::configure(&vault, SecretString::new(server.url.clone())).unwrap();
    assert!(webhook::configure(&vault, SecretString::new("ftp://nope".into())).is_err());
    let store = fx.store();
    budgets::add(
        &store,
        BudgetSpec {
            name: Some("daily".into()),
            amount: Some(Money::parse_dollars("10").unwrap()),
            period: Some(PeriodKind::Day),
            thresholds: Some(vec![50]),
            forecast_alert: Some(false),
            ..BudgetSpec::default()
        },
        "2025-03-01T00:00:00Z",
    )
    .unwrap();
    let at = Utc.with_ymd_and_hms(2025, 3, 2, 10, 0, 0).unwrap();
    spend(&store, at, "m", Money::parse_dollars("7").unwrap());
    let raised = budget::evaluate(&store, at, Tz::UTC).unwrap();
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].webhook_state, "pending");
    let report = webhook::deliver_pending(&vault, &fast_policy()).unwrap();
    assert_eq!(report.delivered, vec![raised[0].id]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one 500, then delivered");
    let body: serde_json::Value = serde_json::from_str(&requests[1].1).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.contains("daily") && text.contains("$7.00 of $10.00"),
        "{text}"
    );
    let stored = alerts::list(&store, true).unwrap();
    assert_eq!(stored[0].webhook_state, "delivered");
    assert_eq!(webhook::pending_count(&store).unwrap(), 0);
    vault.lock().unwrap();
    drop(store);

    // The URL is nowhere in the database in the clear (WAL included).
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(fx.path()).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    assert!(
        !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the webhook URL is stored encrypted only"
    );

    // Nor in anything the CLI prints, including a scan that raises and delivers an alert.
    let home = fx.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tallyvault"))
            .args(args)
            .env("TALLYVAULT_HOME", home)
            .env("TALLYVAULT_PASSWORD", PASSWORD)
            .env("TALLYVAULT_INSECURE_TEST_KDF", "1000")
            .env("TZ", "UTC")
            .env("HOME", home)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !text.contains(TOKEN),
            "{args:?} printed the webhook URL: {text}"
        );
        (out.status.success(), text)
    };
    let (ok, listed) = run(&["alerts", "list", "--all", "--json"]);
    assert!(ok && listed.contains("delivered"), "{listed}");
    run(&["creds", "list", "--json"]);
    run(&["audit", "list", "--json"]);
    let (ok, text) = run(&[
        "budget",
        "add",
        "--amount",
        "0.000000001",
        "--period",
        "day",
        "--name",
        "tiny",
    ]);
    assert!(ok, "{text}");
    spend(
        &Fixture::store(&fx),
        Utc::now(),
        "m",
        Money::parse_dollars("1").unwrap(),
    );
    let (ok, text) = run(&["scan", "--path", home]);
    assert!(ok, "{text}");
    assert!(
        text.contains("alert #"),
        "the scan reports the alerts it raised: {text}"
    );
    let (_, listed) = run(&["alerts", "list", "--json"]);
    assert!(
        !listed.contains("\"pending\""),
        "the scan delivered them with the password at hand: {listed}"
    );
    assert!(server.requests().len() >= 3);
}
