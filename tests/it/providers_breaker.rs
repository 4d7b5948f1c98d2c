//! The circuit breaker, retries and the retry queue on a paused tokio clock, over a scripted transport.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tallyvault::crypto::SecretString;
use tallyvault::pricing::PriceTable;
use tallyvault::providers::accounts;
use tallyvault::providers::breaker::CircuitState;
use tallyvault::providers::http::{Headers, HttpResponse, RetryPolicy, Transport, TransportError};
use tallyvault::providers::poll::{Plan, PollPolicy, Poller};
use tallyvault::store::Store;

use crate::common::{new_credential, Fixture};
use crate::providers_poll::{add_account, NOW};

const EMPTY_PAGE: &str = r#"{"object":"page","data":[],"has_more":false,"next_page":null}"#;

/// Answers from a script; once it runs out, every answer is `fallback`.
struct Scripted {
    script: Mutex<VecDeque<Result<HttpResponse, TransportError>>>,
    fallback: Mutex<Result<HttpResponse, TransportError>>,
    calls: AtomicU64,
}

fn status(code: u16, retry_after: Option<u64>) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse {
        status: code,
        retry_after: retry_after.map(Duration::from_secs),
        body: if code == 200 {
            EMPTY_PAGE.as_bytes().to_vec()
        } else {
            br#"{"error":{"message":"scripted failure","type":"x"}}"#.to_vec()
        },
    })
}

impl Scripted {
    fn new(
        script: Vec<Result<HttpResponse, TransportError>>,
        fallback: Result<HttpResponse, TransportError>,
    ) -> Arc<Scripted> {
        Arc::new(Scripted {
            script: Mutex::new(script.into()),
            fallback: Mutex::new(fallback),
            calls: AtomicU64::new(0),
        })
    }
    fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
    fn set_fallback(&self, answer: Result<HttpResponse, TransportError>) {
        *self.fallback.lock().expect("fallback") = answer;
    }
}

impl Transport for Scripted {
    fn get(
        &self,
        _url: &str,
        _query: &[(String, String)],
        _headers: &Headers,
    ) -> Result<HttpResponse, TransportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let next = self.script.lock().ok().and_then(|mut s| s.pop_front());
        next.unwrap_or_else(|| {
            self.fallback
                .lock()
                .map(|f| f.clone())
                .unwrap_or(Err(TransportError::Timeout))
        })
    }
}

fn policy() -> PollPolicy {
    PollPolicy {
        retry: RetryPolicy {
            attempts: 3,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(120),
        },
        breaker_threshold: 3,
        breaker_cooldown: Duration::from_secs(300),
        spend_cap_backoff: Duration::from_secs(6 * 3600),
        trailing_days: 2,
        cost_trailing_days: 7,
        queue_backoff: Duration::from_secs(60),
        max_pages: 100,
    }
}

struct Setup {
    _fx: Fixture,
    store: Store,
    account_id: i64,
    key: SecretString,
}

fn setup() -> Setup {
    let fx = Fixture::new();
    let vault = fx.create();
    let cred = vault
        .add_credential(new_credential("admin", "sk-admin-test-key"))
        .expect("cred");
    let store = vault.store().clone();
    // 3 days of backfill: OpenAI has 7 endpoints, one window each.
    let account = add_account(&store, "openai", cred.id, "http://127.0.0.1:9", 3);
    Setup {
        _fx: fx,
        store,
        account_id: account.id,
        key: SecretString::new("sk-admin-test-key".into()),
    }
}

fn poller(s: &Setup, transport: Arc<Scripted>) -> Poller {
    let prices = Arc::new(PriceTable::bundled().expect("prices"));
    Poller::new(s.store.clone(), transport, prices, policy(), NOW * 1000)
}

#[tokio::test(start_paused = true)]
async fn repeated_failures_open_the_circuit_and_a_probe_after_the_cooldown_closes_it() {
    let s = setup();
    let transport = Scripted::new(vec![], status(500, None));
    let p = poller(&s, transport.clone());
    let start = tokio::time::Instant::now();
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    let r = p
        .poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    // Three windows fail after 3 attempts each; then the circuit is open and the other four are not requested.
    assert_eq!(
        transport.calls(),
        9,
        "3 windows × 3 attempts, none while open"
    );
    assert_eq!(r.windows_failed, 7);
    let waited = start.elapsed();
    assert!(
        waited <= Duration::from_secs(3 * (1 + 2)),
        "backoff is jittered under base·2^n: {waited:?}"
    );
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    assert_eq!(
        account.circuit_state,
        CircuitState::Open,
        "status shows the open circuit"
    );
    let queue = accounts::queue(&s.store, Some(s.account_id)).expect("queue");
    assert_eq!(queue.len(), 7, "every failed window is queued");
    let open = queue.iter().filter(|q| q.attempts == 0).count();
    assert_eq!(
        open, 4,
        "the windows skipped while open are queued without an attempt"
    );
    assert!(
        queue.iter().filter(|q| q.attempts == 1).count() == 3,
        "{queue:?}"
    );
    assert!(
        queue
            .iter()
            .all(|q| q.last_error.contains("HTTP 500") || q.attempts == 0),
        "{queue:?}"
    );

    // Still open: a poll makes no request.
    let calls = transport.calls();
    p.poll(&account, &s.key, Plan::QueueOnly)
        .await
        .expect("poll");
    assert_eq!(transport.calls(), calls, "an open circuit makes no request");

    // After the cool-down one probe goes through (half-open); it fails, so the circuit opens again at once.
    tokio::time::advance(Duration::from_secs(301)).await;
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    p.poll(&account, &s.key, Plan::QueueOnly)
        .await
        .expect("poll");
    assert_eq!(
        transport.calls(),
        calls + 3,
        "one probe window (with its retries), then open again"
    );
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    assert_eq!(account.circuit_state, CircuitState::Open);
    let probed = accounts::queue(&s.store, Some(s.account_id)).expect("queue");
    let attempts = |q: &[accounts::QueuedWindow]| q.iter().map(|q| q.attempts).sum::<i64>();
    assert_eq!(
        attempts(&probed),
        attempts(&queue) + 1,
        "the probe counts as one attempt: {probed:?}"
    );

    // The provider recovers: after the next cool-down the probe succeeds, the circuit closes, replay drains.
    transport.set_fallback(status(200, None));
    tokio::time::advance(Duration::from_secs(301)).await;
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    let r = p
        .poll(&account, &s.key, Plan::QueueOnly)
        .await
        .expect("poll");
    assert_eq!(r.windows_failed, 0, "{r:?}");
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    assert_eq!(account.circuit_state, CircuitState::Closed);
    assert_eq!(account.consecutive_failures, 0);
    assert!(
        accounts::queue(&s.store, None).expect("queue").is_empty(),
        "replayed windows leave the queue"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_and_a_429_without_it_backs_off_for_hours() {
    let s = setup();
    let transport = Scripted::new(
        vec![status(429, Some(30)), status(200, None)],
        status(200, None),
    );
    let p = poller(&s, transport.clone());
    let start = tokio::time::Instant::now();
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    let r = p
        .poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    assert_eq!(r.windows_failed, 0);
    assert_eq!(transport.calls(), 8, "7 windows, one retried");
    assert!(
        start.elapsed() >= Duration::from_secs(30),
        "Retry-After: 30 is waited: {:?}",
        start.elapsed()
    );

    // A spend cap: no retry, the circuit opens for the long back-off, the window waits that long.
    let s = setup();
    let transport = Scripted::new(vec![status(429, None)], status(200, None));
    let p = poller(&s, transport.clone());
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    let r = p
        .poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    assert_eq!(
        transport.calls(),
        1,
        "a 429 without Retry-After is not retried, and nothing else is asked"
    );
    assert_eq!(r.windows_failed, 7);
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    assert_eq!(account.circuit_state, CircuitState::Open);
    let until = account.circuit_open_until_ms.unwrap_or(0);
    assert!(
        until >= NOW * 1000 + 6 * 3600 * 1000,
        "open for the spend-cap back-off"
    );
    let queue = accounts::queue(&s.store, Some(s.account_id)).expect("queue");
    assert!(
        queue
            .iter()
            .all(|q| q.next_try_ms >= NOW * 1000 + 6 * 3600 * 1000),
        "{queue:?}"
    );

    // An hour later nothing is tried; after six hours the queue replays.
    tokio::time::advance(Duration::from_secs(3600)).await;
    p.poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    assert_eq!(transport.calls(), 1);
    tokio::time::advance(Duration::from_secs(5 * 3600 + 60)).await;
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    let r = p
        .poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    assert_eq!(r.windows_failed, 0, "{r:?}");
    assert!(accounts::queue(&s.store, None).expect("queue").is_empty());
}

#[tokio::test(start_paused = true)]
async fn timeouts_are_retried_and_queued_windows_back_off_exponentially() {
    let s = setup();
    let transport = Scripted::new(vec![], Err(TransportError::Timeout));
    let mut pol = policy();
    pol.breaker_threshold = 100;
    let prices = Arc::new(PriceTable::bundled().expect("prices"));
    let p = Poller::new(s.store.clone(), transport.clone(), prices, pol, NOW * 1000);
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    p.poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    let first = accounts::queue(&s.store, None).expect("queue");
    assert!(
        first
            .iter()
            .all(|q| q.last_error == "timed out" && q.attempts == 1),
        "{first:?}"
    );
    // Replays: each failure doubles the wait before the next try.
    for _ in 0..2 {
        p.poll(&account, &s.key, Plan::QueueOnly)
            .await
            .expect("poll");
    }
    let later = accounts::queue(&s.store, None).expect("queue");
    let now = p.now_ms();
    for q in &later {
        assert_eq!(q.attempts, 3);
        let delay = q.next_try_ms - now;
        // Windows fail one after another, each after up to 1 + 2 s of jittered backoff: 7 windows, < 21 s.
        assert!(
            (4 * 60_000 - 21_000..=4 * 60_000).contains(&delay),
            "60 s · 2^(3-1): {delay}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_first_backfill_waits_for_a_scheduled_run() {
    let s = setup();
    let transport = Scripted::new(vec![], status(200, None));
    let p = poller(&s, transport.clone());
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    // A replay and an explicit --since are not the backfill.
    p.poll(&account, &s.key, Plan::QueueOnly)
        .await
        .expect("poll");
    p.poll(&account, &s.key, Plan::Since(NOW - 86_400))
        .await
        .expect("poll");
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    assert_eq!(account.backfilled_until, None, "no backfill has run yet");
    p.poll(&account, &s.key, Plan::Scheduled)
        .await
        .expect("poll");
    let account = accounts::find(&s.store, s.account_id).expect("acct");
    assert!(
        account.backfilled_until.is_some_and(|t| t > NOW),
        "{account:?}"
    );
}
