//! What-if: what the same tokens would have cost on other models, by the price table, exactly. Rates are
//! linear below the 200k-token tier, so requests under it are summed first and costed once; requests above it
//! are costed one by one, as they were billed.

use rusqlite::params;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Money;
use crate::pricing::{strip_date, PriceTable, TokenCounts, TIER_THRESHOLD};
use crate::store::Store;

/// The usage being re-priced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Sums of requests with every token kind at or under the tier threshold, by fast mode (false, true).
    pub linear: [TokenCounts; 2],
    /// Requests over the threshold, one by one, with their fast flag.
    pub tiered: Vec<(TokenCounts, bool)>,
    pub requests: i64,
    /// What it cost as recorded (priced records only).
    pub actual: Money,
    pub unpriced_requests: i64,
}

impl Usage {
    pub fn add(&mut self, tokens: TokenCounts, fast: bool, requests: i64, cost: Option<Money>) {
        let over = [
            tokens.input,
            tokens.cache_write_5m,
            tokens.cache_write_1h,
            tokens.cache_read,
            tokens.output,
        ]
        .iter()
        .any(|t| *t > TIER_THRESHOLD);
        if over {
            self.tiered.push((tokens, fast));
        } else {
            self.linear[usize::from(fast)].add(&tokens);
        }
        self.requests += requests;
        match cost {
            Some(c) => self.actual += c,
            None => self.unpriced_requests += requests,
        }
    }

    pub fn tokens(&self) -> TokenCounts {
        let mut total = self.linear[0];
        total.add(&self.linear[1]);
        for (t, _) in &self.tiered {
            total.add(t);
        }
        total
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alternative {
    pub model: String,
    /// `None`: the model has no price.
    pub cost: Option<Money>,
    /// Actual minus this (negative: it would cost more).
    pub saving_nanos: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    pub model: String,
    pub requests: i64,
    pub tokens: TokenCounts,
    pub actual: Money,
    pub unpriced_requests: i64,
    /// Cheapest first; unpriced last.
    pub alternatives: Vec<Alternative>,
}

/// The cost of `usage` on `model`, or `None` when the table has no price for it.
pub fn cost_on(prices: &PriceTable, model: &str, usage: &Usage) -> Option<Money> {
    let price = prices.price(model)?;
    let mut total = price.cost(&usage.linear[0], false) + price.cost(&usage.linear[1], true);
    for (tokens, fast) in &usage.tiered {
        total += price.cost(tokens, *fast);
    }
    Money::from_dollars(total)
}

/// Re-prices `usage` on each of `targets`.
pub fn what_if(prices: &PriceTable, model: &str, usage: &Usage, targets: &[String]) -> WhatIf {
    let mut alternatives: Vec<Alternative> = targets
        .iter()
        .map(|t| {
            let cost = cost_on(prices, t, usage);
            Alternative {
                model: t.clone(),
                cost,
                saving_nanos: cost.map(|c| usage.actual.nanos().saturating_sub(c.nanos())),
            }
        })
        .collect();
    alternatives.sort_by(|a, b| match (a.cost, b.cost) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.model.cmp(&b.model)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.model.cmp(&b.model),
    });
    WhatIf {
        model: model.to_string(),
        requests: usage.requests,
        tokens: usage.tokens(),
        actual: usage.actual,
        unpriced_requests: usage.unpriced_requests,
        alternatives,
    }
}

/// The model's family in the price table: the same provider's undated models whose name starts like it
/// (`claude-sonnet-4-5` → `claude-*`, `gpt-5` → `gpt-*`), itself excluded.
pub fn family(prices: &PriceTable, model: &str) -> Vec<String> {
    let resolved = prices.resolve(model).unwrap_or(model).to_string();
    let provider = prices.price(model).and_then(|p| p.provider.clone());
    let stem = resolved.rsplit('/').next().unwrap_or(&resolved);
    let prefix = match stem.split_once('-') {
        Some((head, _)) => format!("{head}-"),
        None => stem.to_string(),
    };
    prices
        .list()
        .into_iter()
        .filter(|e| e.model != resolved && !e.model.contains('/') && strip_date(&e.model).is_none())
        .filter(|e| e.model.starts_with(&prefix))
        .filter(|e| {
            provider.is_none()
                || prices.price(&e.model).and_then(|p| p.provider.clone()) == provider
        })
        .map(|e| e.model)
        .collect()
}

/// Reads the usage of models matching `model` (exact or glob) in the UTC millisecond range [since, until), from
/// local logs and imports (provider-API usage measures the same requests again: see `report`).
pub fn load_usage(store: &Store, model: &str, since_ms: i64, until_ms: i64) -> Result<Usage> {
    if model.trim().is_empty() {
        return Err(Error::InvalidInput("name a model with --model".into()));
    }
    store.read(|tx| {
        let mut stmt = tx.prepare(&format!(
            "SELECT input_tokens, cache_write_5m, cache_write_1h, cache_read, output_tokens, reasoning_tokens,
                    fast, requests, cost_nanos
             FROM usage_records WHERE (model = ?1 OR model GLOB ?1) AND ts >= ?2 AND ts < ?3 AND {}",
            crate::usage::LOCAL_SOURCE_SQL
        ))?;
        let mut rows = stmt.query(params![model, since_ms, until_ms])?;
        let mut usage = Usage::default();
        while let Some(r) = rows.next()? {
            let get = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
            let tokens = TokenCounts {
                input: get(0)?,
                cache_write_5m: get(1)?,
                cache_write_1h: get(2)?,
                cache_read: get(3)?,
                output: get(4)?,
                reasoning: get(5)?,
            };
            let cost: Option<i64> = r.get(8)?;
            usage.add(tokens, r.get(6)?, r.get(7)?, cost.map(Money::from_nanos));
        }
        Ok(usage)
    })
}
