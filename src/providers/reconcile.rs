//! Reconciliation: per UTC day and provider (and per model where the provider names it), the provider's
//! billed cost beside the cost of its reported usage tokens × the price table, and beside the local-log
//! estimate for the same provider, with the differences. Integer nano-dollars throughout.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Result;
use crate::money::Money;
use crate::store::Store;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileLine {
    pub date: String,
    pub provider: String,
    /// `None`: the whole day, all models.
    pub model: Option<String>,
    /// What the provider billed; `None` when it gave no bill for this day (or model).
    pub billed: Option<Money>,
    /// The provider's usage tokens × the price table (priced models only).
    pub usage_priced: Money,
    /// Tokens of the provider's usage whose model has no price.
    pub usage_unpriced_tokens: i64,
    /// The local logs' estimate for the same provider.
    pub local_estimate: Money,
    /// billed − usage_priced, and billed − local_estimate.
    pub billed_minus_usage: Option<Money>,
    pub billed_minus_local: Option<Money>,
}

#[derive(Debug, Clone, Default)]
struct Sums {
    billed: Option<i64>,
    priced: i64,
    unpriced: i64,
    local: i64,
}

/// Lines for days in `[since, until]` (YYYY-MM-DD, UTC), optionally one provider.
pub fn reconcile(
    store: &Store,
    since: Option<&str>,
    until: Option<&str>,
    provider: Option<&str>,
) -> Result<Vec<ReconcileLine>> {
    let since = since.unwrap_or("0000-01-01").to_string();
    let until = until.unwrap_or("9999-12-31").to_string();
    let provider = provider.map(str::to_string);
    let mut by_model: BTreeMap<(String, String, String), Sums> = BTreeMap::new();
    store.read(|tx| {
        let day = "date(ts / 1000, 'unixepoch')";
        let filter = format!("{day} BETWEEN ?1 AND ?2 AND (?3 IS NULL OR provider = ?3)");
        let mut billed = tx.prepare(&format!(
            "SELECT {day}, provider, model, SUM(amount_nanos) FROM provider_costs WHERE {filter}
             GROUP BY 1, 2, 3"
        ))?;
        let mut rows = billed.query(rusqlite::params![since, until, provider])?;
        while let Some(r) = rows.next()? {
            let sums = by_model.entry((r.get(0)?, r.get(1)?, r.get(2)?)).or_default();
            sums.billed = Some(sums.billed.unwrap_or(0).saturating_add(r.get(3)?));
        }
        let mut usage = tx.prepare(&format!(
            "SELECT {day}, provider, model,
                    COALESCE(SUM(CASE WHEN source = provider || '-api' THEN cost_nanos END), 0),
                    COALESCE(SUM(CASE WHEN source = provider || '-api' AND cost_nanos IS NULL
                        THEN input_tokens + cache_write_5m + cache_write_1h + cache_read + output_tokens END), 0),
                    COALESCE(SUM(CASE WHEN {} THEN cost_nanos END), 0)
             FROM usage_records WHERE {filter} GROUP BY 1, 2, 3",
            crate::usage::LOCAL_SOURCE_SQL
        ))?;
        let mut rows = usage.query(rusqlite::params![since, until, provider])?;
        while let Some(r) = rows.next()? {
            let sums = by_model.entry((r.get(0)?, r.get(1)?, r.get(2)?)).or_default();
            sums.priced = sums.priced.saturating_add(r.get(3)?);
            sums.unpriced = sums.unpriced.saturating_add(r.get(4)?);
            sums.local = sums.local.saturating_add(r.get(5)?);
        }
        Ok(())
    })?;
    let mut by_day: BTreeMap<(String, String), Sums> = BTreeMap::new();
    for ((date, provider, _), s) in &by_model {
        let d = by_day.entry((date.clone(), provider.clone())).or_default();
        if let Some(b) = s.billed {
            d.billed = Some(d.billed.unwrap_or(0).saturating_add(b));
        }
        d.priced = d.priced.saturating_add(s.priced);
        d.unpriced = d.unpriced.saturating_add(s.unpriced);
        d.local = d.local.saturating_add(s.local);
    }
    let line = |date: &str, provider: &str, model: Option<&str>, s: &Sums| ReconcileLine {
        date: date.to_string(),
        provider: provider.to_string(),
        model: model.map(str::to_string),
        billed: s.billed.map(Money::from_nanos),
        usage_priced: Money::from_nanos(s.priced),
        usage_unpriced_tokens: s.unpriced,
        local_estimate: Money::from_nanos(s.local),
        billed_minus_usage: s
            .billed
            .map(|b| Money::from_nanos(b.saturating_sub(s.priced))),
        billed_minus_local: s
            .billed
            .map(|b| Money::from_nanos(b.saturating_sub(s.local))),
    };
    let mut out = Vec::new();
    for ((date, provider), s) in &by_day {
        out.push(line(date, provider, None, s));
        for ((d, p, model), ms) in by_model.range((date.clone(), provider.clone(), String::new())..)
        {
            if d != date || p != provider {
                break;
            }
            // A bill without models (OpenAI's line items) is shown on the day line only.
            if !model.is_empty() {
                out.push(line(d, p, Some(model), ms));
            }
        }
    }
    Ok(out)
}
