//! Polling a fake provider over real HTTP with faults: stored totals equal the provider's truth exactly, with
//! no duplicates; polling again changes nothing; late data replaces past buckets; a 401 stops the account;
//! no secret anywhere outside the vault.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tallyvault::money::Money;
use tallyvault::pricing::PriceTable;
use tallyvault::providers::accounts::{self, Account, NewAccount};
use tallyvault::providers::http::{RetryPolicy, Timeouts, UreqTransport};
use tallyvault::providers::poll::{Plan, PollPolicy, PollReport, Poller};
use tallyvault::store::Store;
use tallyvault::vault::{CredentialRef, Purpose};

use crate::common::{new_credential, random_secret, Fixture};
use crate::providers_fake::{FakeProvider, Fault, Tokens, UsageKey, DAY, HOUR};

/// 2026-11-20T12:00:00Z
pub const NOW: i64 = 1_763_640_000;

pub fn fast_policy() -> PollPolicy {
    PollPolicy {
        retry: RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(5),
        },
        ..PollPolicy::default()
    }
}

pub fn poller(store: &Store, wall_now: i64) -> Poller {
    let transport = Arc::new(UreqTransport::new(Timeouts {
        connect: Duration::from_secs(2),
        read: Duration::from_millis(1500),
    }));
    let prices = Arc::new(PriceTable::load(store).expect("prices"));
    Poller::new(
        store.clone(),
        transport,
        prices,
        fast_policy(),
        wall_now * 1000,
    )
}

pub fn add_account(
    store: &Store,
    provider: &str,
    credential_id: i64,
    url: &str,
    backfill_days: i64,
) -> Account {
    accounts::add(
        store,
        &NewAccount {
            provider: provider.into(),
            credential_id,
            base_url: Some(url.into()),
            interval_secs: 900,
            backfill_days,
        },
        "2026-11-20T00:00:00Z",
    )
    .expect("add account")
}

/// Stored usage per (provider, endpoint, hour, model, project), and the number of rows.
pub fn stored_usage(store: &Store) -> (BTreeMap<UsageKey, Tokens>, usize) {
    store
        .read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT provider, origin_path, ts, model, project, input_tokens, cache_read, output_tokens, requests
                 FROM usage_records WHERE source LIKE '%-api'",
            )?;
            let mut rows = stmt.query([])?;
            let mut map = BTreeMap::new();
            let mut count = 0;
            while let Some(r) = rows.next()? {
                count += 1;
                let origin: String = r.get(1)?;
                let endpoint = origin.rsplit(':').next().unwrap_or("").to_string();
                let requests: i64 = r.get(8)?;
                let provider: String = r.get(0)?;
                map.insert(
                    (provider.clone(), endpoint, r.get::<_, i64>(2)? / 1000, r.get(3)?, r.get(4)?),
                    Tokens {
                        input: r.get::<_, i64>(5)? as u64,
                        cached: r.get::<_, i64>(6)? as u64,
                        output: r.get::<_, i64>(7)? as u64,
                        // Anthropic's usage report has no request count.
                        requests: if provider == "anthropic" { 0 } else { requests },
                    },
                );
            }
            Ok((map, count))
        })
        .expect("read usage")
}

pub fn truth_usage(fake: &FakeProvider) -> BTreeMap<UsageKey, Tokens> {
    let truth = fake.truth.lock().expect("truth");
    truth
        .usage
        .iter()
        .map(|(k, t)| {
            let t = if k.0 == "anthropic" {
                Tokens { requests: 0, ..*t }
            } else {
                *t
            };
            (k.clone(), t)
        })
        .collect()
}

/// Billed nanos per (provider, day) stored, and the row count.
pub fn stored_costs(store: &Store) -> (BTreeMap<(String, i64), i64>, usize) {
    store
        .read(|tx| {
            let mut stmt = tx.prepare("SELECT provider, ts, amount_nanos FROM provider_costs")?;
            let mut rows = stmt.query([])?;
            let mut map = BTreeMap::new();
            let mut count = 0;
            while let Some(r) = rows.next()? {
                count += 1;
                *map.entry((r.get::<_, String>(0)?, r.get::<_, i64>(1)? / 1000))
                    .or_insert(0) += r.get::<_, i64>(2)?;
            }
            Ok((map, count))
        })
        .expect("read costs")
}

pub fn truth_costs(fake: &FakeProvider) -> (BTreeMap<(String, i64), i64>, usize) {
    let truth = fake.truth.lock().expect("truth");
    let mut map = BTreeMap::new();
    for ((provider, day, ..), amount) in &truth.costs {
        let mut dollars: Decimal = amount.parse().expect("decimal amount");
        if provider == "anthropic" {
            dollars /= Decimal::ONE_HUNDRED;
        }
        let nanos = Money::from_dollars(dollars).expect("amount").nanos();
        *map.entry((provider.clone(), *day)).or_insert(0) += nanos;
    }
    (map, truth.costs.len())
}

/// Deterministic pseudo-random numbers.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x
}

fn seed_truth(fake: &FakeProvider, days: i64) {
    let today = NOW.div_euclid(DAY) * DAY;
    let models = ["gpt-4o-mini-2024-07-18", "gpt-4.1", "o3"];
    for h in 0..(days * 24 + 12) {
        let hour = today - days * DAY + h * HOUR;
        for (m, model) in models.iter().enumerate() {
            for project in ["proj_a", "proj_b"] {
                let r = mix((h as u64) * 31 + m as u64 * 7 + project.len() as u64);
                if r % 3 == 0 {
                    continue; // sparse: not every group every hour
                }
                let t = Tokens {
                    input: r % 50_000,
                    cached: (r >> 20) % 20_000,
                    output: (r >> 30) % 9_000,
                    requests: 1 + (r % 40) as i64,
                };
                fake.set_usage("openai", "completions", hour, model, project, t);
            }
        }
        if h % 7 == 0 {
            let t = Tokens {
                input: 0,
                cached: 0,
                output: 0,
                requests: 1 + h % 4,
            };
            fake.set_usage("openai", "images", hour, "dall-e-3", "proj_b", t);
        }
        if h % 5 == 0 {
            let t = Tokens {
                input: 1000 + h as u64,
                cached: 0,
                output: 0,
                requests: 2,
            };
            fake.set_usage(
                "openai",
                "embeddings",
                hour,
                "text-embedding-3-small",
                "proj_a",
                t,
            );
        }
        let r = mix(h as u64 + 99);
        if r % 2 == 0 {
            let t = Tokens {
                input: r % 4000,
                cached: (r >> 16) % 9000,
                output: (r >> 32) % 3000,
                requests: 0,
            };
            fake.set_usage(
                "anthropic",
                "messages",
                hour,
                "claude-sonnet-4-20250514",
                "wrkspc_1",
                t,
            );
        }
    }
    for d in 0..=days {
        let day = today - days * DAY + d * DAY;
        let r = mix(d as u64 + 7);
        fake.set_cost(
            "openai",
            day,
            "",
            "proj_a",
            "gpt-4.1, input",
            &format!("{}.{:06}", r % 40, (r >> 8) % 1_000_000),
        );
        fake.set_cost(
            "openai",
            day,
            "",
            "proj_b",
            "o3, output",
            &format!("0.{:09}", (r >> 24) % 1_000_000_000),
        );
        fake.set_cost(
            "anthropic",
            day,
            "claude-sonnet-4-20250514",
            "wrkspc_1",
            "Claude Sonnet 4 Usage - Input Tokens",
            &format!("{}.{:05}", r % 9000, (r >> 12) % 100_000),
        );
        fake.set_cost(
            "anthropic",
            day,
            "claude-sonnet-4-20250514",
            "",
            "Claude Sonnet 4 Usage - Output Tokens",
            &format!("{}", r % 700),
        );
    }
}

fn assert_matches_truth(store: &Store, fake: &FakeProvider, when: &str) {
    let (usage, rows) = stored_usage(store);
    let truth = truth_usage(fake);
    assert_eq!(rows, usage.len(), "{when}: a usage bucket is stored twice");
    assert_eq!(
        usage.len(),
        truth.len(),
        "{when}: stored usage groups should equal the provider's"
    );
    assert!(
        usage == truth,
        "{when}: stored usage should equal the provider's, bucket by bucket"
    );
    let (costs, cost_rows) = stored_costs(store);
    let (truth_costs, truth_rows) = truth_costs(fake);
    assert_eq!(
        cost_rows, truth_rows,
        "{when}: billed rows stored once each"
    );
    assert_eq!(
        costs, truth_costs,
        "{when}: billed nano-dollars per day should equal the provider's"
    );
}

/// Every text or blob in every table, for the leak check.
pub fn all_stored_text(store: &Store) -> String {
    store
        .read(|tx| {
            let tables: Vec<String> = {
                let mut stmt = tx.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut out = String::new();
            for table in tables {
                let mut stmt = tx.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let n = stmt.column_count();
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    for i in 0..n {
                        match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Text(t)
                            | rusqlite::types::ValueRef::Blob(t) => {
                                out.push_str(&String::from_utf8_lossy(t));
                                out.push('\n');
                            }
                            _ => {}
                        }
                    }
                }
            }
            Ok(out)
        })
        .expect("dump")
}

fn row_snapshot(store: &Store) -> String {
    store
        .read(|tx| {
            let mut out = String::new();
            for sql in [
                "SELECT id, ts, model, project, input_tokens, cache_read, output_tokens, requests, cost_nanos FROM usage_records ORDER BY id",
                "SELECT id, ts, model, project, line_item, amount_nanos FROM provider_costs ORDER BY id",
                "SELECT hour, model, project, input_tokens, output_tokens, requests, cost_nanos FROM usage_hourly ORDER BY 1, 2, 3",
            ] {
                let mut stmt = tx.prepare(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    for i in 0..n {
                        out.push_str(&format!("{:?}|", r.get_ref(i)?));
                    }
                    out.push('\n');
                }
            }
            Ok(out)
        })
        .expect("snapshot")
}

#[tokio::test(flavor = "current_thread")]
async fn faults_late_data_and_repolls_end_exactly_at_the_providers_totals() {
    let fx = Fixture::new();
    let vault = fx.create();
    let secret = random_secret();
    let cred = vault
        .add_credential(new_credential("admin", &secret))
        .expect("credential");
    let store = vault.store().clone();
    let fake = FakeProvider::start(&secret, 24);
    seed_truth(&fake, 10);
    let openai = add_account(&store, "openai", cred.id, &fake.url, 10);
    let anthropic = add_account(&store, "anthropic", cred.id, &fake.url, 10);
    let mut errors: Vec<String> = Vec::new();

    // Run 1: faults of every kind. 429 with Retry-After, 500s and a timeout are retried; a truncated page
    // fails its window; a 429 without Retry-After opens the circuit for hours.
    fake.fault(2, Fault::RateLimited(1));
    fake.fault(4, Fault::ServerError);
    fake.fault(5, Fault::ServerError);
    fake.fault(7, Fault::Slow(Duration::from_millis(4000)));
    fake.fault(12, Fault::Truncated);
    fake.fault(30, Fault::SpendCap);
    let p1 = poller(&store, NOW);
    let key = vault
        .read_secret(&CredentialRef::Id(cred.id), Purpose::Use)
        .expect("key");
    let r1 = p1
        .poll(
            &accounts::find(&store, openai.id).expect("acct"),
            &key,
            Plan::Scheduled,
        )
        .await
        .expect("poll");
    assert!(
        r1.windows_failed >= 2,
        "the truncated and the spend-capped windows fail: {r1:?}"
    );
    let after_run1 = accounts::find(&store, openai.id).expect("acct");
    assert_eq!(
        after_run1.circuit_state.as_str(),
        "open",
        "a spend cap opens the circuit"
    );
    let queue = accounts::queue(&store, Some(openai.id)).expect("queue");
    assert!(!queue.is_empty(), "failed windows are queued");
    assert!(
        queue.iter().any(|q| q.last_error.contains("malformed")),
        "{queue:?}"
    );
    // The truncated window committed nothing: none of its buckets is stored.
    let (usage, _) = stored_usage(&store);
    for q in queue.iter().filter(|q| q.last_error.contains("malformed")) {
        let partial = usage
            .keys()
            .filter(|k| k.1 == q.endpoint && k.2 >= q.window_start && k.2 < q.window_end)
            .count();
        assert_eq!(
            partial, 0,
            "a window that failed part-way must not be committed in part"
        );
    }
    errors.extend(queue.iter().map(|q| q.last_error.clone()));
    errors.extend(after_run1.last_error.clone());

    let base = fake.request_count();
    fake.fault(base + 3, Fault::ServerError);
    fake.fault(base + 6, Fault::Truncated);
    let ra = p1
        .poll(&anthropic, &key, Plan::Scheduled)
        .await
        .expect("poll anthropic");
    assert_eq!(ra.windows_failed, 1, "{ra:?}");

    // Late data: yesterday's and today's buckets change, a group appears, one disappears; a bill is revised.
    let today = NOW.div_euclid(DAY) * DAY;
    let yesterday_10 = today - DAY + 10 * HOUR;
    fake.set_usage(
        "openai",
        "completions",
        yesterday_10,
        "gpt-4.1",
        "proj_a",
        Tokens {
            input: 777,
            cached: 1,
            output: 2,
            requests: 3,
        },
    );
    fake.set_usage(
        "openai",
        "completions",
        yesterday_10,
        "gpt-4.1-late",
        "proj_c",
        Tokens {
            input: 5,
            cached: 0,
            output: 5,
            requests: 1,
        },
    );
    {
        let mut truth = fake.truth.lock().expect("truth");
        let gone: Vec<_> = truth
            .usage
            .keys()
            .filter(|k| k.0 == "openai" && k.2 == today + HOUR)
            .cloned()
            .collect();
        for k in gone {
            truth.usage.remove(&k);
        }
    }
    fake.set_cost(
        "openai",
        today - DAY,
        "",
        "proj_a",
        "gpt-4.1, input",
        "12.345678901",
    );
    fake.set_cost(
        "anthropic",
        today,
        "claude-sonnet-4-20250514",
        "",
        "Claude Sonnet 4 Usage - Output Tokens",
        "0.0000001",
    );

    // Run 2, seven hours later: the circuit's cool-down is over, queued windows are due, and the trailing
    // window picks up the late data.
    let p2 = poller(&store, NOW + 7 * 3600);
    for account in [openai.id, anthropic.id] {
        let r = p2
            .poll(
                &accounts::find(&store, account).expect("acct"),
                &key,
                Plan::Scheduled,
            )
            .await
            .expect("poll");
        assert_eq!(r.windows_failed, 0, "{r:?}");
    }
    assert!(
        accounts::queue(&store, None).expect("queue").is_empty(),
        "the queue drains"
    );
    assert_eq!(
        accounts::find(&store, openai.id)
            .expect("acct")
            .circuit_state
            .as_str(),
        "closed"
    );
    assert_matches_truth(&store, &fake, "after faults and late data");

    // Polling again, any plan, changes nothing.
    let before = row_snapshot(&store);
    let since = today - 12 * DAY;
    for plan in [Plan::Scheduled, Plan::Since(since), Plan::QueueOnly] {
        for account in [openai.id, anthropic.id] {
            let r = p2
                .poll(&accounts::find(&store, account).expect("acct"), &key, plan)
                .await
                .expect("poll");
            assert_eq!(r.windows_failed, 0);
        }
    }
    assert_eq!(
        row_snapshot(&store),
        before,
        "polling again must not change a stored row"
    );
    assert_matches_truth(&store, &fake, "after polling again");

    // A 401 stops the account and marks the key invalid with the provider's message; no more requests.
    fake.fault(fake.request_count() + 1, Fault::Unauthorized);
    let r: PollReport = p2
        .poll(
            &accounts::find(&store, openai.id).expect("acct"),
            &key,
            Plan::Scheduled,
        )
        .await
        .expect("poll");
    assert!(
        r.stopped.as_deref().is_some_and(|s| s.contains("401")),
        "{r:?}"
    );
    let stopped = accounts::find(&store, openai.id).expect("acct");
    let reason = stopped.credential_invalid.clone().unwrap_or_default();
    assert!(
        reason.contains("Incorrect API key provided"),
        "the provider's message is kept: {reason}"
    );
    let count = fake.request_count();
    let again = p2
        .poll(&stopped, &key, Plan::Scheduled)
        .await
        .expect("poll");
    assert_eq!(
        fake.request_count(),
        count,
        "a refused key is not tried again"
    );
    assert!(again.stopped.is_some());
    assert_matches_truth(&store, &fake, "after the 401");

    // No secret outside the vault: not in errors, reports, account state, or any stored row.
    errors.extend([
        reason,
        format!("{r:?}"),
        format!("{again:?}"),
        format!("{ra:?}"),
        format!("{r1:?}"),
        format!("{stopped:?}"),
    ]);
    errors.extend(
        accounts::queue(&store, None)
            .expect("queue")
            .iter()
            .map(|q| format!("{q:?}")),
    );
    for e in &errors {
        assert!(!e.contains(&secret), "a secret leaked into: {e}");
    }
    assert!(
        !all_stored_text(&store).contains(&secret),
        "a secret is stored in plaintext"
    );
}

/// OpenRouter's stored usage and bill per (day, model), for comparison with the fake's served truth.
fn openrouter_state(store: &Store) -> BTreeMap<(i64, String), (i64, i64, i64, i64)> {
    store
        .read(|tx| {
            let mut stmt = tx.prepare(
                "SELECT u.ts / 1000, u.model, u.input_tokens, u.output_tokens, u.requests,
                        (SELECT SUM(c.amount_nanos) FROM provider_costs c
                         WHERE c.provider = 'openrouter' AND c.ts = u.ts AND c.model = u.model)
                 FROM usage_records u WHERE u.source = 'openrouter-api'",
            )?;
            let mut rows = stmt.query([])?;
            let mut map = BTreeMap::new();
            while let Some(r) = rows.next()? {
                let key = (r.get(0)?, r.get(1)?);
                let value = (
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                );
                assert!(
                    map.insert(key, value).is_none(),
                    "one row per day and model"
                );
            }
            Ok(map)
        })
        .expect("read openrouter")
}

fn openrouter_truth(
    fake: &FakeProvider,
    today: i64,
) -> BTreeMap<(i64, String), (i64, i64, i64, i64)> {
    let truth = fake.truth.lock().expect("truth");
    truth
        .usage
        .iter()
        .filter(|(k, _)| k.0 == "openrouter" && k.2 < today && k.2 >= today - 30 * DAY)
        .map(|(k, t)| {
            let cost = truth
                .costs
                .get(&(
                    "openrouter".to_string(),
                    k.2,
                    k.3.clone(),
                    String::new(),
                    String::new(),
                ))
                .map(|a| {
                    Money::from_dollars(a.parse::<Decimal>().expect("decimal"))
                        .expect("amount")
                        .nanos()
                })
                .unwrap_or(0);
            (
                (k.2, k.3.clone()),
                (t.input as i64, t.output as i64, t.requests, cost),
            )
        })
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn openrouter_activity_backfills_completed_days_and_takes_late_data() {
    let fx = Fixture::new();
    let vault = fx.create();
    let secret = random_secret();
    let cred = vault
        .add_credential(new_credential("mgmt", &secret))
        .expect("credential");
    let store = vault.store().clone();
    let fake = FakeProvider::start(&secret, 24);
    fake.clock.store(NOW, std::sync::atomic::Ordering::SeqCst);
    let today = NOW.div_euclid(DAY) * DAY;
    for d in 0..36 {
        let day = today - 35 * DAY + d * DAY;
        for (m, model) in [
            "openai/gpt-4.1",
            "anthropic/claude-sonnet-4",
            "meta/llama-4",
        ]
        .iter()
        .enumerate()
        {
            let r = mix(d as u64 * 3 + m as u64);
            let t = Tokens {
                input: r % 100_000,
                cached: 0,
                output: (r >> 20) % 50_000,
                requests: 1 + (r % 90) as i64,
            };
            fake.set_usage("openrouter", "activity", day, model, "", t);
            fake.set_cost(
                "openrouter",
                day,
                model,
                "",
                "",
                &format!("{}.{:09}", r % 5, (r >> 9) % 1_000_000_000),
            );
        }
    }
    {
        let mut truth = fake.truth.lock().expect("truth");
        truth.management_key = true;
        truth.credits_bought = Some("250.5".into());
    }
    let account = add_account(&store, "openrouter", cred.id, &fake.url, 30);
    let key = vault
        .read_secret(&CredentialRef::Id(cred.id), Purpose::Use)
        .expect("key");
    let p = poller(&store, NOW);
    let r = p.poll(&account, &key, Plan::Scheduled).await.expect("poll");
    assert_eq!(
        (r.windows_ok, r.windows_failed, r.requests),
        (1, 0, 3),
        "30 days in one request, then /key and /credits: {r:?}"
    );
    // The balance: credits bought, everything OpenRouter billed (all 36 days), and what is left, exactly.
    let spent: rust_decimal::Decimal = fake
        .truth
        .lock()
        .expect("truth")
        .costs
        .values()
        .map(|a| a.parse::<rust_decimal::Decimal>().expect("amount"))
        .sum();
    let spent = Money::from_dollars(spent).expect("money");
    let balance = accounts::balances(&store).expect("balances");
    let b = balance.get(&account.id).expect("a balance snapshot");
    assert_eq!(b.credits_total, Money::parse_dollars("250.5"));
    assert_eq!(b.credits_used, Some(spent));
    assert_eq!(
        b.credits_remaining(),
        Money::parse_dollars("250.5").map(|t| t - spent)
    );
    assert_eq!((b.key_usage, b.key_limit), (Some(spent), None));
    assert_eq!(b.key_is_management, Some(true));
    assert!(b.notes.is_empty(), "{:?}", b.notes);
    let stored = openrouter_state(&store);
    assert_eq!(
        stored.len(),
        90,
        "30 completed days × 3 models; today is excluded"
    );
    assert_eq!(stored, openrouter_truth(&fake, today));

    // Late data for yesterday; a trailing poll asks for the last days by date and replaces them.
    fake.set_usage(
        "openrouter",
        "activity",
        today - DAY,
        "openai/gpt-4.1",
        "",
        Tokens {
            input: 1,
            cached: 0,
            output: 2,
            requests: 3,
        },
    );
    fake.set_cost(
        "openrouter",
        today - DAY,
        "openai/gpt-4.1",
        "",
        "",
        "0.000000001",
    );
    let account = accounts::find(&store, account.id).expect("acct");
    let r = p.poll(&account, &key, Plan::Scheduled).await.expect("poll");
    assert_eq!((r.windows_failed, r.requests), (0, 4), "{r:?}");
    assert_eq!(openrouter_state(&store), openrouter_truth(&fake, today));

    // A key that is not a management key: /credits is refused with 403, which is noted, not a stop.
    fake.truth.lock().expect("truth").management_key = false;
    let r = p.poll(&account, &key, Plan::Scheduled).await.expect("poll");
    assert_eq!((r.windows_failed, r.stopped.as_deref()), (0, None), "{r:?}");
    let balance = accounts::balances(&store).expect("balances");
    let b = balance.get(&account.id).expect("a balance snapshot");
    assert_eq!((b.credits_total, b.key_is_management), (None, Some(false)));
    assert!(
        b.notes
            .iter()
            .any(|n| n.contains("/api/v1/credits") && n.contains("Only management keys")),
        "{:?}",
        b.notes
    );
    let account = accounts::find(&store, account.id).expect("acct");
    assert_eq!(
        account.credential_invalid, None,
        "the key is not marked invalid"
    );
    fake.truth.lock().expect("truth").management_key = true;

    // The next day: today is complete and arrives; the day that left the 30-day range stays stored.
    fake.clock
        .store(NOW + DAY, std::sync::atomic::Ordering::SeqCst);
    let p = poller(&store, NOW + DAY);
    let r = p.poll(&account, &key, Plan::Scheduled).await.expect("poll");
    assert_eq!(r.windows_failed, 0);
    let stored = openrouter_state(&store);
    let mut expected = openrouter_truth(&fake, today + DAY);
    expected.extend(openrouter_truth(&fake, today));
    assert_eq!(stored, expected);
    let before = row_snapshot(&store);
    p.poll(&account, &key, Plan::Scheduled).await.expect("poll");
    assert_eq!(
        row_snapshot(&store),
        before,
        "polling again changes nothing"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn overlapping_windows_in_any_order_leave_the_providers_totals() {
    let fx = Fixture::new();
    let vault = fx.create();
    let secret = random_secret();
    let cred = vault
        .add_credential(new_credential("admin", &secret))
        .expect("credential");
    let store = vault.store().clone();
    let fake = FakeProvider::start(&secret, 48);
    seed_truth(&fake, 10);
    let openai = add_account(&store, "openai", cred.id, &fake.url, 10);
    let anthropic = add_account(&store, "anthropic", cred.id, &fake.url, 10);
    let key = vault
        .read_secret(&CredentialRef::Id(cred.id), Purpose::Use)
        .expect("key");
    let p = poller(&store, NOW);
    let today = NOW.div_euclid(DAY) * DAY;
    // Each start gives windows with other boundaries (7-day usage windows, one cost window from the start).
    let orders: [&[i64]; 3] = [&[10, 2, 6], &[1, 9, 4, 3], &[5, 10, 7]];
    for (round, starts) in orders.iter().enumerate() {
        // Change old and recent buckets and bills before each round.
        let r = round as i64;
        let hour = today - (8 - r) * DAY + 5 * HOUR;
        fake.set_usage(
            "openai",
            "completions",
            hour,
            "o3",
            "proj_a",
            Tokens {
                input: 10 + r as u64,
                cached: 0,
                output: 1,
                requests: 1,
            },
        );
        fake.set_usage(
            "anthropic",
            "messages",
            hour,
            "claude-sonnet-4-20250514",
            "wrkspc_1",
            Tokens {
                input: 3,
                cached: 2,
                output: 1,
                requests: 0,
            },
        );
        fake.set_cost(
            "openai",
            today - (9 - r) * DAY,
            "",
            "proj_b",
            "o3, output",
            &format!("0.00{r}"),
        );
        let mut last_start = i64::MAX;
        for days in starts.iter() {
            for account in [openai.id, anthropic.id] {
                let a = accounts::find(&store, account).expect("acct");
                let report = p
                    .poll(&a, &key, Plan::Since(today - days * DAY))
                    .await
                    .expect("poll");
                assert_eq!(report.windows_failed, 0, "{report:?}");
            }
            last_start = last_start.min(today - days * DAY);
        }
        assert!(
            last_start <= hour,
            "the rounds re-fetch the changed buckets"
        );
        assert_matches_truth(&store, &fake, &format!("round {round}"));
    }
}
