//! What-if re-pricing: exact, tier-aware, and honest about unpriced models.

use chrono::{TimeZone, Utc};
use tallyvault::forecast::whatif::{self, Usage};
use tallyvault::money::Money;
use tallyvault::pricing::{PriceTable, TokenCounts};

use crate::budget::spend;
use crate::common::Fixture;

fn tokens(input: u64, output: u64) -> TokenCounts {
    TokenCounts {
        input,
        output,
        ..TokenCounts::default()
    }
}

#[test]
fn the_same_tokens_are_repriced_exactly_request_by_request_above_the_tier() {
    let prices = PriceTable::bundled().unwrap();
    let mut usage = Usage::default();
    usage.add(tokens(1000, 100), false, 1, Some(Money::from_nanos(5)));
    usage.add(tokens(2000, 300), false, 1, Some(Money::from_nanos(7)));
    usage.add(tokens(300_000, 1000), false, 1, None);
    let target = "claude-sonnet-4-5";
    let price = prices
        .price(target)
        .expect("the bundled table prices sonnet 4.5");
    let expected =
        price.cost(&tokens(3000, 400), false) + price.cost(&tokens(300_000, 1000), false);
    let result = whatif::what_if(
        &prices,
        "mine",
        &usage,
        &[target.into(), "no-such-model".into()],
    );
    assert_eq!(result.actual, Money::from_nanos(12));
    assert_eq!(result.unpriced_requests, 1);
    assert_eq!(result.tokens.input, 303_000);
    assert_eq!(result.alternatives[0].model, target);
    assert_eq!(result.alternatives[0].cost, Money::from_dollars(expected));
    assert_eq!(
        result.alternatives[0].saving_nanos,
        Some(12 - Money::from_dollars(expected).unwrap().nanos())
    );
    assert_eq!(
        result.alternatives[1].cost, None,
        "an unknown model is unpriced, listed last"
    );
}

#[test]
fn usage_is_read_for_a_model_pattern_and_the_family_comes_from_the_price_table() {
    let fx = Fixture::new();
    let store = fx.store();
    let at = Utc.with_ymd_and_hms(2025, 3, 2, 10, 0, 0).unwrap();
    spend(
        &store,
        at,
        "claude-sonnet-4-5",
        Money::parse_dollars("1.5").unwrap(),
    );
    spend(&store, at, "gpt-5", Money::parse_dollars("9").unwrap());
    let from = at.timestamp_millis() - 1;
    let usage = whatif::load_usage(&store, "claude-*", from, from + 10_000).unwrap();
    assert_eq!(usage.requests, 1);
    assert_eq!(usage.actual, Money::parse_dollars("1.5").unwrap());
    assert!(whatif::load_usage(&store, " ", 0, 1).is_err());
    let prices = PriceTable::bundled().unwrap();
    let family = whatif::family(&prices, "claude-sonnet-4-5");
    assert!(
        !family.is_empty() && family.iter().all(|m| m.starts_with("claude-")),
        "{family:?}"
    );
    assert!(!family.contains(&"claude-sonnet-4-5".to_string()));
}
