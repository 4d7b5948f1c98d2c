//! A first backfill of 30 days of hourly usage for 20 models, through every page; its cost in requests.

use std::time::Instant;

use tallyvault::providers::accounts;
use tallyvault::providers::poll::Plan;
use tallyvault::vault::{CredentialRef, Purpose};

use crate::common::{new_credential, random_secret, Fixture};
use crate::providers_fake::{FakeProvider, Tokens, DAY, HOUR};
use crate::providers_poll::{
    add_account, mix, poller, stored_costs, stored_usage, truth_costs, truth_usage, NOW,
};

async fn backfill(page_buckets: usize) -> (u64, u64, usize) {
    let fx = Fixture::new();
    let vault = fx.create();
    let secret = random_secret();
    let cred = vault
        .add_credential(new_credential("admin", &secret))
        .expect("credential");
    let store = vault.store().clone();
    let fake = FakeProvider::start(&secret, page_buckets);
    let today = NOW.div_euclid(DAY) * DAY;
    for h in 0..(30 * 24 + 12) {
        let hour = today - 30 * DAY + h * HOUR;
        for m in 0..20u64 {
            let r = mix(h as u64 * 64 + m);
            let t = Tokens {
                input: r % 90_000,
                cached: (r >> 17) % 30_000,
                output: (r >> 34) % 8_000,
                requests: 1 + (r % 50) as i64,
            };
            fake.set_usage(
                "openai",
                "completions",
                hour,
                &format!("model-{m:02}"),
                "proj_a",
                t,
            );
            fake.set_usage(
                "anthropic",
                "messages",
                hour,
                &format!("claude-{m:02}"),
                "wrkspc_1",
                Tokens { requests: 0, ..t },
            );
        }
    }
    for d in 0..=30 {
        fake.set_cost(
            "openai",
            today - 30 * DAY + d * DAY,
            "",
            "proj_a",
            "all",
            &format!("{d}.25"),
        );
        fake.set_cost(
            "anthropic",
            today - 30 * DAY + d * DAY,
            "claude-00",
            "",
            "all",
            &format!("{d}75.5"),
        );
    }
    let openai = add_account(&store, "openai", cred.id, &fake.url, 30);
    let anthropic = add_account(&store, "anthropic", cred.id, &fake.url, 30);
    let key = vault
        .read_secret(&CredentialRef::Id(cred.id), Purpose::Use)
        .expect("key");
    let p = poller(&store, NOW);
    let started = Instant::now();
    let ro = p
        .poll(&openai, &key, Plan::Scheduled)
        .await
        .expect("poll openai");
    let ra = p
        .poll(&anthropic, &key, Plan::Scheduled)
        .await
        .expect("poll anthropic");
    let elapsed = started.elapsed();
    assert_eq!((ro.windows_failed, ra.windows_failed), (0, 0));
    let (usage, rows) = stored_usage(&store);
    assert_eq!(
        rows,
        2 * (30 * 24 + 12) * 20,
        "every hour of every model, once"
    );
    assert!(
        usage == truth_usage(&fake),
        "stored usage equals the provider's"
    );
    let (costs, _) = stored_costs(&store);
    assert_eq!(costs, truth_costs(&fake).0);
    assert_eq!(
        fake.request_count(),
        ro.requests + ra.requests,
        "the report counts every request"
    );
    eprintln!(
        "backfill 30 days x 24 h x 20 models, {page_buckets} buckets per page: openai {} requests, anthropic {} requests, {rows} usage rows, {elapsed:?}",
        ro.requests, ra.requests
    );
    let account = accounts::find(&store, openai.id).expect("acct");
    assert_eq!(account.requests_total as u64, ro.requests);
    (ro.requests, ra.requests, rows)
}

#[tokio::test(flavor = "current_thread")]
async fn thirty_days_of_hourly_usage_for_twenty_models_backfill_in_a_known_number_of_requests() {
    // A provider that honours `limit` (168 hourly buckets): 31 days in windows of 7 days = 5 pages per usage
    // endpoint. OpenAI: 6 usage endpoints + 1 cost page; Anthropic: 1 usage endpoint + 1 cost page.
    let (openai, anthropic, _) = backfill(168).await;
    assert_eq!((openai, anthropic), (6 * 5 + 1, 5 + 1));
    // A provider that pages at 24 buckets: every day is its own page (and the 31 cost days take 2).
    let (openai, anthropic, _) = backfill(24).await;
    assert_eq!((openai, anthropic), (6 * 31 + 2, 31 + 2));
}
