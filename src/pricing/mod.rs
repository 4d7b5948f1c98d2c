//! The price table: a bundled, dated snapshot of LiteLLM's `model_prices_and_context_window.json` (same field
//! names, filtered to the providers we support; see `scripts/refresh-prices`), plus the user's overrides kept
//! in the database. Rates are exact decimals per token.
//!
//! Model lookup, in order (the first hit wins):
//! 1. the exact key, then its lower-case form;
//! 2. the last `/`-separated segment (`anthropic/claude-x`, `openrouter/openai/gpt-5` → `claude-x`, `gpt-5`);
//! 3. the name without a date suffix (`-YYYYMMDD` or `-YYYY-MM-DD`): `claude-x-20250101` → `claude-x`;
//! 4. a dated key whose undated form is the name: `claude-x` → the latest `claude-x-YYYYMMDD` in the table.
//!
//! Nothing fuzzier: a near miss would misprice. A model that matches nothing is *unpriced*, never free.

mod cost;

use std::collections::HashMap;

use rusqlite::params;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::store::Store;

pub use cost::{ModelPrice, TokenCounts, TIER_THRESHOLD};

const BUNDLED: &str = include_str!("../../data/prices/litellm.json");

/// Where the bundled snapshot came from.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SnapshotInfo {
    pub source: String,
    pub litellm_version: String,
    pub date: String,
    pub models: usize,
}

/// One model's entry as shown to the user.
#[derive(Debug, Clone, Serialize)]
pub struct PriceEntry {
    pub model: String,
    pub overridden: bool,
    /// The LiteLLM-format entry (USD per token).
    pub entry: Value,
}

#[derive(Debug, Clone)]
pub struct PriceTable {
    entries: HashMap<String, (ModelPrice, Value)>,
    /// undated key → the latest dated key with that stem
    undated: HashMap<String, String>,
    overridden: Vec<String>,
    snapshot: SnapshotInfo,
}

fn date_suffix_len(name: &str) -> Option<usize> {
    let bytes = name.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if bytes.len() > 9 && bytes[bytes.len() - 9] == b'-' && digits(&bytes[bytes.len() - 8..]) {
        return Some(9);
    }
    let n = bytes.len();
    if n > 11
        && bytes[n - 11] == b'-'
        && digits(&bytes[n - 10..n - 6])
        && bytes[n - 6] == b'-'
        && digits(&bytes[n - 5..n - 3])
        && bytes[n - 3] == b'-'
        && digits(&bytes[n - 2..])
    {
        return Some(11);
    }
    None
}

/// `name` without a trailing date, if it has one.
pub fn strip_date(name: &str) -> Option<&str> {
    date_suffix_len(name).map(|len| &name[..name.len() - len])
}

impl PriceTable {
    /// The bundled snapshot alone.
    pub fn bundled() -> Result<PriceTable> {
        let raw: Map<String, Value> = serde_json::from_str(BUNDLED).map_err(|e| {
            Error::UnsupportedFormat(format!("the bundled price table is damaged: {e}"))
        })?;
        let mut table = PriceTable {
            entries: HashMap::new(),
            undated: HashMap::new(),
            overridden: Vec::new(),
            snapshot: SnapshotInfo::default(),
        };
        for (name, value) in raw {
            if name == "_snapshot" {
                let field = |k: &str| {
                    value
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                table.snapshot = SnapshotInfo {
                    source: field("source"),
                    litellm_version: field("litellm_version"),
                    date: field("date"),
                    models: 0,
                };
                continue;
            }
            if let Ok(price) = ModelPrice::from_litellm(&value) {
                table.entries.insert(name, (price, value));
            }
        }
        table.snapshot.models = table.entries.len();
        table.reindex();
        Ok(table)
    }

    /// The bundled snapshot with the user's overrides from `store` applied.
    pub fn load(store: &Store) -> Result<PriceTable> {
        let mut table = PriceTable::bundled()?;
        let overrides: Vec<(String, String)> = store.read(|tx| {
            let mut stmt = tx.prepare("SELECT model, entry FROM price_overrides ORDER BY model")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        for (model, entry) in overrides {
            let value: Value = serde_json::from_str(&entry).map_err(|_| {
                Error::Integrity(format!("the price override for {model} is not JSON"))
            })?;
            table.apply_override(&model, value)?;
        }
        table.reindex();
        Ok(table)
    }

    fn reindex(&mut self) {
        self.undated.clear();
        for key in self.entries.keys() {
            if let Some(stem) = strip_date(key) {
                let slot = self
                    .undated
                    .entry(stem.to_string())
                    .or_insert_with(|| key.clone());
                if key > slot {
                    *slot = key.clone();
                }
            }
        }
    }

    /// Merges `fields` (LiteLLM names, USD per token) over the model's bundled entry, or adds the model.
    fn apply_override(&mut self, model: &str, fields: Value) -> Result<()> {
        let Value::Object(fields) = fields else {
            return Err(Error::InvalidInput(
                "a price override must be a JSON object".into(),
            ));
        };
        let mut merged = match self.entries.get(model) {
            Some((_, Value::Object(base))) => base.clone(),
            _ => Map::new(),
        };
        merged.extend(fields);
        let merged = Value::Object(merged);
        let price = ModelPrice::from_litellm(&merged)?;
        self.entries.insert(model.to_string(), (price, merged));
        if !self.overridden.iter().any(|m| m == model) {
            self.overridden.push(model.to_string());
        }
        Ok(())
    }

    pub fn snapshot(&self) -> &SnapshotInfo {
        &self.snapshot
    }

    /// The table key `model` resolves to, by the documented rule.
    pub fn resolve(&self, model: &str) -> Option<&str> {
        let try_key = |name: &str| -> Option<&str> {
            if let Some((key, _)) = self.entries.get_key_value(name) {
                return Some(key.as_str());
            }
            let lower = name.to_ascii_lowercase();
            self.entries
                .get_key_value(lower.as_str())
                .map(|(k, _)| k.as_str())
        };
        let last_segment = model.rsplit('/').next().unwrap_or(model);
        let candidates = [Some(model), Some(last_segment)];
        for name in candidates.into_iter().flatten() {
            if let Some(key) = try_key(name) {
                return Some(key);
            }
        }
        for name in [model, last_segment] {
            if let Some(key) = strip_date(name).and_then(try_key) {
                return Some(key);
            }
        }
        for name in [model, last_segment] {
            if let Some(key) = self
                .undated
                .get(name)
                .or_else(|| self.undated.get(&name.to_ascii_lowercase()))
            {
                return Some(key.as_str());
            }
        }
        None
    }

    /// The price of `model`, if the table has one.
    pub fn price(&self, model: &str) -> Option<&ModelPrice> {
        self.resolve(model)
            .and_then(|key| self.entries.get(key))
            .map(|(p, _)| p)
    }

    /// All entries, sorted by model name.
    pub fn list(&self) -> Vec<PriceEntry> {
        let mut out: Vec<PriceEntry> = self
            .entries
            .iter()
            .map(|(model, (_, entry))| PriceEntry {
                model: model.clone(),
                overridden: self.overridden.contains(model),
                entry: entry.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.model.cmp(&b.model));
        out
    }

    /// One model's entry, found by the lookup rule.
    pub fn show(&self, model: &str) -> Option<PriceEntry> {
        let key = self.resolve(model)?;
        let (_, entry) = self.entries.get(key)?;
        Some(PriceEntry {
            model: key.to_string(),
            overridden: self.overridden.iter().any(|m| m == key),
            entry: entry.clone(),
        })
    }
}

/// Rates a user sets, in USD per million tokens (the unit providers publish).
#[derive(Debug, Clone, Default)]
pub struct RateOverride {
    pub input: Option<Decimal>,
    pub output: Option<Decimal>,
    pub cache_write: Option<Decimal>,
    pub cache_read: Option<Decimal>,
    pub provider: Option<String>,
}

fn per_token(per_million: Decimal) -> Result<Value> {
    if per_million.is_sign_negative() {
        return Err(Error::InvalidInput("a price must not be negative".into()));
    }
    let value = per_million / Decimal::from(1_000_000);
    // LiteLLM stores JSON numbers; the decimal's text is parsed back exactly by ModelPrice::from_litellm.
    serde_json::from_str(&value.normalize().to_string())
        .map_err(|_| Error::InvalidInput("the price cannot be represented".into()))
}

/// Stores an override for `model` (merged over the bundled entry). Returns the number of fields set.
pub fn set_override(store: &Store, model: &str, rates: &RateOverride, now: &str) -> Result<usize> {
    let model = model.trim();
    if model.is_empty() {
        return Err(Error::InvalidInput("a model name must not be empty".into()));
    }
    let mut fields = Map::new();
    let pairs = [
        ("input_cost_per_token", rates.input),
        ("output_cost_per_token", rates.output),
        ("cache_creation_input_token_cost", rates.cache_write),
        ("cache_read_input_token_cost", rates.cache_read),
    ];
    for (name, rate) in pairs {
        if let Some(rate) = rate {
            fields.insert(name.to_string(), per_token(rate)?);
        }
    }
    if let Some(provider) = &rates.provider {
        fields.insert("litellm_provider".into(), Value::String(provider.clone()));
    }
    if fields.is_empty() {
        return Err(Error::InvalidInput(
            "give at least one rate (e.g. --input 3 --output 15, USD per million tokens)".into(),
        ));
    }
    let count = fields.len();
    store.write(|tx| {
        let existing: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
            "SELECT entry FROM price_overrides WHERE model = ?1",
            [model],
            |r| r.get(0),
        ))?;
        let mut merged = match existing.and_then(|e| serde_json::from_str::<Value>(&e).ok()) {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        merged.extend(fields);
        let merged = Value::Object(merged);
        // Validate against the bundled entry before storing.
        let mut probe = PriceTable::bundled()?;
        probe.apply_override(model, merged.clone())?;
        tx.execute(
            "INSERT INTO price_overrides (model, entry, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(model) DO UPDATE SET entry = excluded.entry, updated_at = excluded.updated_at",
            params![model, merged.to_string(), now],
        )?;
        Ok(())
    })?;
    Ok(count)
}

/// Removes the override for `model`; returns whether there was one.
pub fn unset_override(store: &Store, model: &str) -> Result<bool> {
    store.write(|tx| Ok(tx.execute("DELETE FROM price_overrides WHERE model = ?1", [model])? > 0))
}

#[cfg(test)]
mod tests;
