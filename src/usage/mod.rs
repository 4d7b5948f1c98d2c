//! Usage records and their store. A record is one request (or one provider bucket) with a stable id derived
//! from the source's natural key, so ingesting the same data again is an upsert that changes nothing.
//! Hourly rollups are refreshed in the same transaction as every ingest (triggers mark the stale hours).

use rusqlite::{params, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::money::Money;
use crate::pricing::{PriceTable, TokenCounts};

/// Where a record's cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CostOrigin {
    /// The source stated it (Claude Code's `costUSD`, a provider's bill).
    Reported,
    /// Tokens × the price table.
    Calculated,
    /// No price is known for the model: shown apart, never as $0.
    Unpriced,
}

impl CostOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            CostOrigin::Reported => "reported",
            CostOrigin::Calculated => "calculated",
            CostOrigin::Unpriced => "unpriced",
        }
    }
}

/// Largest token count of one kind, or request count, accepted in one record from any source (a
/// quadrillion): a file or a provider claiming more is malformed, and the bound keeps sums of millions of
/// records far from i64 overflow.
pub const MAX_COUNT: u64 = 1_000_000_000_000_000;

/// Whether a record's counts are within [`MAX_COUNT`].
pub fn counts_are_plausible(tokens: &TokenCounts, requests: i64) -> bool {
    [
        tokens.input,
        tokens.cache_write_5m,
        tokens.cache_write_1h,
        tokens.cache_read,
        tokens.output,
        tokens.reasoning,
    ]
    .iter()
    .all(|c| *c <= MAX_COUNT)
        && (0..=MAX_COUNT as i64).contains(&requests)
}

/// 64 bits of SHA-256 of a message id: enough to find a message's copies, and a small index.
pub fn message_key(message_id: &str) -> i64 {
    let digest = Sha256::digest(message_id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// A stable 64-bit id from the parts of a natural key (the first 8 bytes of their SHA-256; at a million
/// records the chance of any collision is about 3 in 10^8).
pub fn record_id(parts: &[&[u8]]) -> i64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(id)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    pub id: i64,
    pub source: String,
    pub provider: String,
    pub model: String,
    pub project: String,
    pub session: String,
    /// Unix milliseconds, UTC.
    pub ts_ms: i64,
    pub tokens: TokenCounts,
    pub requests: i64,
    /// `None` when unpriced.
    pub cost: Option<Money>,
    pub cost_origin: CostOrigin,
    pub reported_cost: Option<Money>,
    pub fast: bool,
    pub message_id: Option<String>,
    pub sidechain: bool,
    pub origin_path: Option<String>,
}

impl UsageRecord {
    /// How a colliding duplicate is chosen: larger token sum, then higher cost, then fast.
    fn rank(&self) -> (i64, i64) {
        (
            self.tokens.total() as i64,
            self.cost.map_or(0, Money::nanos),
        )
    }
}

/// Whether an upsert keeps the better of two colliding records (local logs) or always takes the newer
/// (provider buckets, which replace what was fetched before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    KeepBetter,
    Replace,
}

/// SQL condition of usage read from local logs and imports. Usage polled from a provider's API (source
/// `<provider>-api`) measures the same requests again, so it is summed with local usage only when a query names
/// that source.
pub const LOCAL_SOURCE_SQL: &str = "source NOT LIKE '%-api'";

/// [`LOCAL_SOURCE_SQL`] for a value already read: SQLite's LIKE ignores ASCII case.
pub fn is_local_source(source: &str) -> bool {
    let bytes = source.as_bytes();
    !(bytes.len() >= 4 && bytes[bytes.len() - 4..].eq_ignore_ascii_case(b"-api"))
}

const COLUMNS: &str = "id, source, provider, model, project, session, ts, input_tokens, cache_write_5m, \
    cache_write_1h, cache_read, output_tokens, reasoning_tokens, requests, cost_nanos, cost_origin, \
    reported_cost_nanos, fast, message_key, sidechain, rank_tokens, rank_cost, origin_path";

fn upsert_sql(conflict: Conflict, rows: usize) -> String {
    let updates = COLUMNS
        .split(", ")
        .filter(|c| *c != "id")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let condition = match conflict {
        Conflict::KeepBetter => {
            " WHERE (excluded.rank_tokens, excluded.rank_cost, excluded.fast) > \
             (usage_records.rank_tokens, usage_records.rank_cost, usage_records.fast)"
        }
        Conflict::Replace => "",
    };
    let row = format!("({})", vec!["?"; UPSERT_COLUMNS].join(", "));
    let values = vec![row.as_str(); rows].join(", ");
    format!(
        "INSERT INTO usage_records ({COLUMNS}) VALUES {values} ON CONFLICT(id) DO UPDATE SET {updates}{condition}"
    )
}

const UPSERT_COLUMNS: usize = 23;

/// Records per multi-row INSERT: one statement per row costs more than the B-tree work it does (binding,
/// stepping, a statement journal each), so rows go in batches. Rows of a batch that collide with each
/// other are resolved by the same ON CONFLICT rule, in order.
const UPSERT_BATCH: usize = 64;

/// One record's column values, in `COLUMNS` order, borrowing its strings.
fn upsert_values<'a>(
    r: &'a UsageRecord,
    key: Option<i64>,
    out: &mut Vec<rusqlite::types::ToSqlOutput<'a>>,
) {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    fn int(v: i64) -> ToSqlOutput<'static> {
        ToSqlOutput::Borrowed(ValueRef::Integer(v))
    }
    fn opt(v: Option<i64>) -> ToSqlOutput<'static> {
        v.map_or(ToSqlOutput::Borrowed(ValueRef::Null), int)
    }
    fn text(v: &str) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes()))
    }
    let (rank_tokens, rank_cost) = r.rank();
    out.extend([
        int(r.id),
        text(&r.source),
        text(&r.provider),
        text(&r.model),
        text(&r.project),
        text(&r.session),
        int(r.ts_ms),
        int(r.tokens.input as i64),
        int(r.tokens.cache_write_5m as i64),
        int(r.tokens.cache_write_1h as i64),
        int(r.tokens.cache_read as i64),
        int(r.tokens.output as i64),
        int(r.tokens.reasoning as i64),
        int(r.requests),
        opt(r.cost.map(Money::nanos)),
        text(r.cost_origin.as_str()),
        opt(r.reported_cost.map(Money::nanos)),
        int(r.fast as i64),
        opt(key),
        int(r.sidechain as i64),
        int(rank_tokens),
        int(rank_cost),
        r.origin_path
            .as_deref()
            .map_or(ToSqlOutput::Borrowed(ValueRef::Null), text),
    ]);
}

/// Writes records in `tx`. Returns how many rows were inserted or changed.
pub fn upsert(tx: &Transaction<'_>, records: &[UsageRecord], conflict: Conflict) -> Result<usize> {
    upsert_refs(tx, &records.iter().collect::<Vec<_>>(), conflict)
}

/// [`upsert`] of borrowed records (gathered from many files without copying them).
pub fn upsert_refs(
    tx: &Transaction<'_>,
    records: &[&UsageRecord],
    conflict: Conflict,
) -> Result<usize> {
    use rusqlite::types::ToSqlOutput;
    let mut changed = 0;
    let mut hours: Vec<i64> = records
        .iter()
        .map(|r| r.ts_ms.div_euclid(3_600_000))
        .collect();
    hours.sort_unstable();
    hours.dedup();
    let mut mark =
        tx.prepare_cached("INSERT OR IGNORE INTO usage_dirty_hours (hour) VALUES (?1)")?;
    for hour in hours {
        mark.execute([hour])?;
    }
    let keys: Vec<Option<i64>> = records
        .iter()
        .map(|r| r.message_id.as_deref().map(message_key))
        .collect();
    let mut params: Vec<ToSqlOutput<'_>> = Vec::with_capacity(UPSERT_BATCH * UPSERT_COLUMNS);
    let full = records.len() / UPSERT_BATCH * UPSERT_BATCH;
    if full > 0 {
        let mut batch = tx.prepare_cached(&upsert_sql(conflict, UPSERT_BATCH))?;
        for (chunk, chunk_keys) in records[..full]
            .chunks(UPSERT_BATCH)
            .zip(keys[..full].chunks(UPSERT_BATCH))
        {
            params.clear();
            for (r, key) in chunk.iter().zip(chunk_keys) {
                upsert_values(r, *key, &mut params);
            }
            changed += batch.execute(rusqlite::params_from_iter(params.iter()))?;
        }
    }
    if full < records.len() {
        let mut one = tx.prepare_cached(&upsert_sql(conflict, 1))?;
        for (r, key) in records[full..].iter().zip(&keys[full..]) {
            params.clear();
            upsert_values(r, *key, &mut params);
            changed += one.execute(rusqlite::params_from_iter(params.iter()))?;
        }
    }
    Ok(changed)
}

/// Drops sidechain records whose message also exists as a main-chain record: Claude Code repeats a
/// sub-agent's messages in the main session, and the main copy wins.
pub fn drop_shadowed_sidechains(tx: &Transaction<'_>) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM usage_records WHERE sidechain = 1 AND EXISTS
            (SELECT 1 FROM usage_records AS main
             WHERE main.sidechain = 0 AND main.message_key = usage_records.message_key)",
        [],
    )?)
}

/// Removes the records a file gave by position (before it is read again from the start).
pub fn forget_origin(tx: &Transaction<'_>, path: &str) -> Result<usize> {
    Ok(tx.execute("DELETE FROM usage_records WHERE origin_path = ?1", [path])?)
}

const ROLLUP_COLUMNS: &str = "hour, source, provider, model, fast, project, input_tokens, cache_write_5m, \
    cache_write_1h, cache_read, output_tokens, reasoning_tokens, requests, cost_nanos, unpriced_tokens, \
    unpriced_requests, reported_requests";

const ROLLUP_SUMS: &str = "SUM(r.input_tokens), SUM(r.cache_write_5m), SUM(r.cache_write_1h), \
    SUM(r.cache_read), SUM(r.output_tokens), SUM(r.reasoning_tokens), SUM(r.requests), \
    COALESCE(SUM(r.cost_nanos), 0), \
    SUM(CASE WHEN r.cost_nanos IS NULL THEN r.input_tokens + r.cache_write_5m + r.cache_write_1h \
        + r.cache_read + r.output_tokens ELSE 0 END), \
    SUM(CASE WHEN r.cost_nanos IS NULL THEN r.requests ELSE 0 END), \
    SUM(CASE WHEN r.cost_origin = 'reported' THEN r.requests ELSE 0 END)";

/// Rebuilds the hourly rollups of every hour marked stale, and clears the marks. When most hours are stale
/// (a first scan), one pass over all records is cheaper than a range query per hour.
pub fn refresh_rollups(tx: &Transaction<'_>) -> Result<usize> {
    let (dirty, total): (i64, i64) = tx.query_row(
        "SELECT (SELECT COUNT(*) FROM usage_dirty_hours), (SELECT COUNT(DISTINCT hour) FROM usage_hourly)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if dirty == 0 {
        return Ok(0);
    }
    let rows = if dirty * 2 > total {
        tx.execute("DELETE FROM usage_hourly", [])?;
        tx.execute(
            &format!(
                "INSERT INTO usage_hourly ({ROLLUP_COLUMNS})
                 SELECT r.ts / 3600000 AS h, r.source, r.provider, r.model, r.fast, r.project, {ROLLUP_SUMS}
                 FROM usage_records r GROUP BY h, r.source, r.provider, r.model, r.fast, r.project"
            ),
            [],
        )?
    } else {
        tx.execute(
            "DELETE FROM usage_hourly WHERE hour IN (SELECT hour FROM usage_dirty_hours)",
            [],
        )?;
        tx.execute(
            &format!(
                "INSERT INTO usage_hourly ({ROLLUP_COLUMNS})
                 SELECT d.hour, r.source, r.provider, r.model, r.fast, r.project, {ROLLUP_SUMS}
                 FROM usage_dirty_hours d
                 JOIN usage_records r ON r.ts >= d.hour * 3600000 AND r.ts < (d.hour + 1) * 3600000
                 GROUP BY d.hour, r.source, r.provider, r.model, r.fast, r.project"
            ),
            [],
        )?
    };
    tx.execute("DELETE FROM usage_dirty_hours", [])?;
    Ok(rows)
}

/// Counts of what the store holds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreSummary {
    pub records: i64,
    pub unpriced_records: i64,
}

pub fn summary(tx: &Transaction<'_>) -> Result<StoreSummary> {
    Ok(tx.query_row(
        "SELECT COUNT(*), COALESCE(SUM(cost_nanos IS NULL), 0) FROM usage_records",
        [],
        |r| {
            Ok(StoreSummary {
                records: r.get(0)?,
                unpriced_records: r.get(1)?,
            })
        },
    )?)
}

/// Models that are written by a client, not billed by a provider (Claude Code's `<synthetic>` messages).
pub const UNBILLED_MODELS: &[&str] = &["<synthetic>"];

/// The calculated cost of tokens on `model`, or unpriced.
pub fn price_tokens(
    prices: &PriceTable,
    model: &str,
    tokens: &TokenCounts,
    fast: bool,
) -> (Option<Money>, CostOrigin) {
    if UNBILLED_MODELS.contains(&model) {
        return (Some(Money::ZERO), CostOrigin::Calculated);
    }
    match prices
        .price(model)
        .and_then(|p| Money::from_dollars(p.cost(tokens, fast)))
    {
        Some(cost) => (Some(cost), CostOrigin::Calculated),
        None => (None, CostOrigin::Unpriced),
    }
}

/// Recomputes the cost of every record whose cost was not reported by its source (after a price change).
/// Returns how many records changed.
pub fn reprice(store: &crate::store::Store, prices: &PriceTable) -> Result<usize> {
    store.write(|tx| {
        let mut changed = 0;
        {
            let mut select = tx.prepare(
                "SELECT id, model, fast, input_tokens, cache_write_5m, cache_write_1h, cache_read, output_tokens,
                        cost_nanos
                 FROM usage_records WHERE cost_origin != 'reported'",
            )?;
            let mut update =
                tx.prepare("UPDATE usage_records SET cost_nanos = ?2, cost_origin = ?3, rank_cost = ?4 WHERE id = ?1")?;
            let mut rows = select.query([])?;
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let model: String = r.get(1)?;
                let fast: bool = r.get(2)?;
                let get = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                let tokens = TokenCounts {
                    input: get(3)?,
                    cache_write_5m: get(4)?,
                    cache_write_1h: get(5)?,
                    cache_read: get(6)?,
                    output: get(7)?,
                    reasoning: 0,
                };
                let old: Option<i64> = r.get(8)?;
                let (cost, origin) = price_tokens(prices, &model, &tokens, fast);
                if cost.map(Money::nanos) != old {
                    let nanos = cost.map(Money::nanos);
                    update.execute(params![id, nanos, origin.as_str(), nanos.unwrap_or(0)])?;
                    changed += 1;
                }
            }
        }
        refresh_rollups(tx)?;
        Ok(changed)
    })
}
