use rust_decimal::Decimal;
use serde_json::json;

use super::*;
use crate::money::Money;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn price(entry: serde_json::Value) -> ModelPrice {
    ModelPrice::from_litellm(&entry).unwrap()
}

#[test]
fn every_token_kind_is_priced_by_hand() {
    // Sonnet 4.5 rates: in 3, out 15, 5m write 3.75, 1h write 6, read 0.3 (USD per million tokens)
    let p = price(json!({
        "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5,
        "cache_creation_input_token_cost": 3.75e-6, "cache_creation_input_token_cost_above_1hr": 6e-6,
        "cache_read_input_token_cost": 3e-7
    }));
    let t = TokenCounts {
        input: 1000,
        cache_write_5m: 2000,
        cache_write_1h: 500,
        cache_read: 10_000,
        output: 500,
        reasoning: 0,
    };
    // 1000*3 + 2000*3.75 + 500*6 + 10000*0.3 + 500*15 = 3000 + 7500 + 3000 + 3000 + 7500 = 24000 µ$ = $0.024
    assert_eq!(p.cost(&t, false), d("0.024"));
}

#[test]
fn the_200k_tier_applies_to_the_excess_of_each_kind() {
    let p = price(json!({
        "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5,
        "input_cost_per_token_above_200k_tokens": 6e-6, "output_cost_per_token_above_200k_tokens": 2.25e-5,
        "cache_creation_input_token_cost": 3.75e-6, "cache_creation_input_token_cost_above_200k_tokens": 7.5e-6,
        "cache_read_input_token_cost": 3e-7, "cache_read_input_token_cost_above_200k_tokens": 6e-7
    }));
    let t = TokenCounts {
        input: 250_000,
        output: 100,
        cache_read: 300_000,
        ..Default::default()
    };
    // input: 200000*3e-6 + 50000*6e-6 = 0.6 + 0.3 = 0.9; output: 100*1.5e-5 = 0.0015
    // cache read: 200000*3e-7 + 100000*6e-7 = 0.06 + 0.06 = 0.12
    assert_eq!(p.cost(&t, false), d("1.0215"));
    // exactly at the threshold: no excess
    let t = TokenCounts {
        input: 200_000,
        ..Default::default()
    };
    assert_eq!(p.cost(&t, false), d("0.6"));
    // 1-hour writes cost twice the input rate, tiered like it
    let t = TokenCounts {
        cache_write_1h: 200_001,
        ..Default::default()
    };
    assert_eq!(p.cost(&t, false), d("1.200012"));
}

#[test]
fn missing_cache_rates_default_from_input() {
    let p = price(json!({"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}));
    let t = TokenCounts {
        cache_write_5m: 1_000_000,
        cache_write_1h: 1_000_000,
        cache_read: 1_000_000,
        ..Default::default()
    };
    // 1.25 + 2 + 0.1
    assert_eq!(p.cost(&t, false), d("3.35"));
    // a table's own 1-hour rate is not used: 2 × input is the rule
    let p = price(
        json!({"input_cost_per_token": 8e-7, "output_cost_per_token": 4e-6,
                         "cache_creation_input_token_cost_above_1hr": 6e-6}),
    );
    let t = TokenCounts {
        cache_write_1h: 1_000_000,
        ..Default::default()
    };
    assert_eq!(p.cost(&t, false), d("1.6"));
}

#[test]
fn fast_mode_multiplies_the_whole_request() {
    let p = price(
        json!({"input_cost_per_token": 5e-6, "output_cost_per_token": 2.5e-5, "provider_specific_entry": {"fast": 2.0}}),
    );
    let t = TokenCounts {
        input: 1000,
        output: 1000,
        ..Default::default()
    };
    assert_eq!(p.cost(&t, false), d("0.03"));
    assert_eq!(p.cost(&t, true), d("0.06"));
}

#[test]
fn money_is_exact_for_fractional_nano_rates() {
    // $0.0375 per million = 3.75e-8 per token: 3 tokens = 1.125e-7 = 112.5 nano → 112 (half to even)
    let p = price(json!({"input_cost_per_token": 3.75e-8, "output_cost_per_token": 0}));
    let t = TokenCounts {
        input: 3,
        ..Default::default()
    };
    assert_eq!(Money::from_dollars(p.cost(&t, false)).unwrap().nanos(), 112);
}

#[test]
fn lookup_follows_the_documented_rule() {
    let table = PriceTable::bundled().unwrap();
    assert_eq!(
        table.resolve("claude-sonnet-4-5-20250929"),
        Some("claude-sonnet-4-5-20250929")
    );
    assert_eq!(
        table.resolve("anthropic/claude-sonnet-4-5"),
        Some("claude-sonnet-4-5")
    );
    assert_eq!(table.resolve("my-proxy/openai/gpt-5"), Some("gpt-5"));
    assert_eq!(
        table.resolve("openrouter/openai/gpt-5"),
        Some("openrouter/openai/gpt-5"),
        "an exact key wins"
    );
    assert_eq!(
        table
            .resolve("gpt-5-2025-08-07")
            .map(|k| k.starts_with("gpt-5")),
        Some(true)
    );
    assert_eq!(
        table.resolve("claude-haiku-4-5-20991231"),
        Some("claude-haiku-4-5"),
        "unknown date → undated key"
    );
    assert_eq!(table.resolve("totally-made-up-model"), None);
    assert_eq!(table.resolve(""), None);
    assert!(table.snapshot().litellm_version.len() > 2 && table.snapshot().models > 100);
}

#[test]
fn undated_names_find_the_latest_dated_key() {
    let mut table = PriceTable::bundled().unwrap();
    table
        .apply_override(
            "zz-model-20240101",
            json!({"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}),
        )
        .unwrap();
    table
        .apply_override(
            "zz-model-20250101",
            json!({"input_cost_per_token": 2e-6, "output_cost_per_token": 1e-6}),
        )
        .unwrap();
    table.reindex();
    assert_eq!(table.resolve("zz-model"), Some("zz-model-20250101"));
}

#[test]
fn bad_entries_are_refused_clearly() {
    assert!(ModelPrice::from_litellm(&json!({"output_cost_per_token": 1e-6})).is_err());
    assert!(ModelPrice::from_litellm(
        &json!({"input_cost_per_token": "cheap", "output_cost_per_token": 1})
    )
    .is_err());
    assert!(ModelPrice::from_litellm(
        &json!({"input_cost_per_token": -1, "output_cost_per_token": 1})
    )
    .is_err());
}
