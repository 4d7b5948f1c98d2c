//! The cost of a usage record, exactly as ccusage computes it (shared/reference/agent-logs.md), in decimals:
//! input + output + 5-minute cache writes + 1-hour cache writes + cache reads, each tiered at 200,000 tokens
//! where the table has an `*_above_200k_tokens` rate, times the fast multiplier when the request ran in fast
//! mode. A 1-hour cache write costs 2 × the input rate (Anthropic's published rule; LiteLLM's
//! `..._above_1hr` field is not used: some snapshots carry wrong values there). Missing rates default as
//! LiteLLM's consumers do: cache write 1.25 × input, cache read 0.1 × input.

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Above this many tokens of one kind in one request, the `*_above_200k_tokens` rate applies to the excess.
pub const TIER_THRESHOLD: u64 = 200_000;

/// Token counts of one request or bucket, by kind. `input` is uncached input only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenCounts {
    pub input: u64,
    pub cache_write_5m: u64,
    pub cache_write_1h: u64,
    pub cache_read: u64,
    pub output: u64,
    /// Part of `output` where the source reports it; never charged twice.
    pub reasoning: u64,
}

impl TokenCounts {
    /// Saturating, like [`TokenCounts::add`]: counts come from files and providers, and an absurd one must
    /// not panic (sources refuse counts above `usage::MAX_COUNT`, so real sums never get near the limit).
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.cache_write_5m)
            .saturating_add(self.cache_write_1h)
            .saturating_add(self.cache_read)
            .saturating_add(self.output)
    }

    pub fn add(&mut self, other: &TokenCounts) {
        self.input = self.input.saturating_add(other.input);
        self.cache_write_5m = self.cache_write_5m.saturating_add(other.cache_write_5m);
        self.cache_write_1h = self.cache_write_1h.saturating_add(other.cache_write_1h);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.output = self.output.saturating_add(other.output);
        self.reasoning = self.reasoning.saturating_add(other.reasoning);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rate {
    base: Decimal,
    above_200k: Option<Decimal>,
}

impl Rate {
    fn cost(&self, tokens: u64) -> Decimal {
        match self.above_200k {
            Some(above) if tokens > TIER_THRESHOLD => {
                Decimal::from(TIER_THRESHOLD) * self.base
                    + Decimal::from(tokens - TIER_THRESHOLD) * above
            }
            _ => Decimal::from(tokens) * self.base,
        }
    }
}

/// A model's rates, USD per token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelPrice {
    pub provider: Option<String>,
    input: Rate,
    output: Rate,
    cache_write_5m: Rate,
    cache_write_1h: Rate,
    cache_read: Rate,
    fast_multiplier: Decimal,
}

fn decimal(entry: &Value, field: &str) -> Result<Option<Decimal>> {
    match entry.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            // A JSON number's shortest text is exact in decimal (3e-06 → 0.000003).
            let text = n.to_string();
            let parsed = text
                .parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(&text));
            match parsed {
                Ok(d) if !d.is_sign_negative() => Ok(Some(d)),
                _ => Err(Error::InvalidInput(format!(
                    "{field} = {text} is not a valid price"
                ))),
            }
        }
        Some(other) => Err(Error::InvalidInput(format!(
            "{field} must be a number, not {other}"
        ))),
    }
}

impl ModelPrice {
    /// Reads a LiteLLM entry. Needs at least `input_cost_per_token` and `output_cost_per_token`.
    pub fn from_litellm(entry: &Value) -> Result<ModelPrice> {
        let input = decimal(entry, "input_cost_per_token")?
            .ok_or_else(|| Error::InvalidInput("input_cost_per_token is missing".into()))?;
        let output = decimal(entry, "output_cost_per_token")?
            .ok_or_else(|| Error::InvalidInput("output_cost_per_token is missing".into()))?;
        let input_above = decimal(entry, "input_cost_per_token_above_200k_tokens")?;
        let two = Decimal::from(2);
        let write_5m = decimal(entry, "cache_creation_input_token_cost")?
            .unwrap_or(input * Decimal::new(125, 2));
        let write_1h = input * two;
        let write_1h_above = input_above.map(|r| r * two);
        let fast = entry
            .get("provider_specific_entry")
            .map(|e| decimal(e, "fast"))
            .transpose()?
            .flatten()
            .unwrap_or(Decimal::ONE);
        Ok(ModelPrice {
            provider: entry
                .get("litellm_provider")
                .and_then(Value::as_str)
                .map(str::to_string),
            input: Rate {
                base: input,
                above_200k: input_above,
            },
            output: Rate {
                base: output,
                above_200k: decimal(entry, "output_cost_per_token_above_200k_tokens")?,
            },
            cache_write_5m: Rate {
                base: write_5m,
                above_200k: decimal(entry, "cache_creation_input_token_cost_above_200k_tokens")?,
            },
            cache_write_1h: Rate {
                base: write_1h,
                above_200k: write_1h_above,
            },
            cache_read: Rate {
                base: decimal(entry, "cache_read_input_token_cost")?
                    .unwrap_or(input * Decimal::new(1, 1)),
                above_200k: decimal(entry, "cache_read_input_token_cost_above_200k_tokens")?,
            },
            fast_multiplier: fast,
        })
    }

    /// The exact cost in dollars of `tokens` at these rates.
    pub fn cost(&self, tokens: &TokenCounts, fast: bool) -> Decimal {
        let sum = self.input.cost(tokens.input)
            + self.output.cost(tokens.output)
            + self.cache_write_5m.cost(tokens.cache_write_5m)
            + self.cache_write_1h.cost(tokens.cache_write_1h)
            + self.cache_read.cost(tokens.cache_read);
        if fast {
            sum * self.fast_multiplier
        } else {
            sum
        }
    }
}
