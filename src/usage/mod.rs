//! Usage records and their store. A record is one request (or one provider bucket) with a stable id derived
//! from the source's natural key, so ingesting the same data again is an upsert that changes nothing.
//! Hourly rollups are refreshed in the same transaction as every ingest (triggers mark the stale hours).

use rustc_hash::FxHashMap;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::money::Money;
use crate::pricing::{PriceTable, TokenCounts};

mod rollup;

pub use rollup::refresh_rollups;
use rollup::{RollupSums, ROLLUP_ROW};

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
    /// [`message_key`] of the message id, where the source has one (Claude Code).
    pub message_key: Option<i64>,
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

    fn rank3(&self) -> Rank {
        let (tokens, cost) = self.rank();
        (tokens, cost, self.fast)
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

fn insert_sql(rows: usize) -> String {
    let row = format!("({})", vec!["?"; UPSERT_COLUMNS].join(", "));
    let values = vec![row.as_str(); rows].join(", ");
    format!("INSERT OR IGNORE INTO usage_records ({COLUMNS}) VALUES {values}")
}

fn update_sql() -> String {
    let sets = COLUMNS
        .split(", ")
        .enumerate()
        .filter(|(_, c)| *c != "id")
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    format!("UPDATE usage_records SET {sets} WHERE id = ?1")
}

const UPSERT_COLUMNS: usize = 23;

/// Records per multi-row INSERT: one statement per row costs more than the B-tree work it does (binding,
/// stepping).
const INSERT_BATCH: usize = 64;

/// One record's column values, in `COLUMNS` order, borrowing its strings.
fn upsert_values<'a>(r: &'a UsageRecord, out: &mut Vec<rusqlite::types::ToSqlOutput<'a>>) {
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
        opt(r.message_key),
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
    let mut writer = Upserter::new(tx, conflict)?;
    writer.write(tx, records)
}

/// What decides between two records with one id (see [`UsageRecord::rank`]).
type Rank = (i64, i64, bool);

/// What an upserter knows of an id: the rank of its stored (or to be stored) record, and where that record
/// waits to be written when the current call chose it.
#[derive(Clone, Copy)]
struct Seen {
    rank: Rank,
    /// The call that chose the record (it waits in that call's inserts or updates at `slot`).
    call: u64,
    insert: bool,
    slot: usize,
}

/// Upserts records into `usage_records` over any number of calls within one transaction.
///
/// Collisions are resolved here, not by an `ON CONFLICT` clause: `usage_records` has constraints and an
/// update trigger, so every multi-row upsert statement first copies each already-written page it touches to
/// a statement journal (a first scan of 200,000 records made 880,000 page writes to a temp file that way,
/// most of its time). Here new records go in with `INSERT OR IGNORE` batches, which cannot abort and need
/// no statement journal, and the few that replace a stored record with `UPDATE`s by id. The ranks of the
/// ids written through one upserter are kept (about 60 bytes per record), so the store is asked about an
/// id only when it held records before the transaction's first write.
pub struct Upserter {
    conflict: Conflict,
    /// Whether `usage_records` had rows when this upserter started: if not, an id not seen here is new.
    probe: bool,
    seen: FxHashMap<i64, Seen>,
    /// Which call of [`Upserter::write`] this is (see [`Seen::call`]).
    calls: u64,
    /// When `usage_records` started empty and every change goes through this upserter: the rollups of
    /// everything it wrote, so [`Upserter::refresh_rollups`] need not read the records back.
    rollups: Option<RollupSums>,
    /// Under the same condition: the message keys of the records it holds, so
    /// [`Upserter::drop_shadowed_sidechains`] finds the shadowed sidechain records without a join.
    messages: Option<Messages>,
    /// Under the same condition: the definitions of `usage_records`' triggers, dropped until
    /// [`Upserter::refresh_rollups`] (they only mark the hours an update or delete makes stale, and the sums
    /// kept here rewrite every hour). Without them an update or a delete needs no statement journal, which
    /// otherwise copies every page it touches to a temporary file first.
    triggers: Vec<String>,
}

/// Message keys of the records an upserter wrote, by id: main-chain and sidechain apart, and how many
/// main-chain records hold each key.
#[derive(Default)]
struct Messages {
    main: FxHashMap<i64, i64>,
    side: FxHashMap<i64, i64>,
    main_keys: FxHashMap<i64, u32>,
}

impl Messages {
    /// A record that replaced whatever this id held.
    fn wrote(&mut self, r: &UsageRecord) {
        self.deleted(r.id);
        self.inserted(r);
    }

    /// A record of an id not held before.
    fn inserted(&mut self, r: &UsageRecord) {
        if let Some(key) = r.message_key {
            if r.sidechain {
                self.side.insert(r.id, key);
            } else {
                self.main.insert(r.id, key);
                *self.main_keys.entry(key).or_default() += 1;
            }
        }
    }

    fn deleted(&mut self, id: i64) {
        self.side.remove(&id);
        if let Some(key) = self.main.remove(&id) {
            if let Some(count) = self.main_keys.get_mut(&key) {
                *count -= 1;
                if *count == 0 {
                    self.main_keys.remove(&key);
                }
            }
        }
    }

    /// Whether a main-chain record holds this sidechain record's message: then it would be dropped at the
    /// end ([`Upserter::drop_shadowed_sidechains`]), so it need not be written.
    fn shadows(&self, r: &UsageRecord) -> bool {
        r.sidechain
            && r.message_key
                .is_some_and(|key| self.main_keys.contains_key(&key))
    }

    /// The sidechain records whose message a main-chain record also holds ([`DROP_SHADOWED_SQL`]).
    fn shadowed(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .side
            .iter()
            .filter(|(_, key)| self.main_keys.contains_key(key))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

impl Upserter {
    pub fn new(tx: &Transaction<'_>, conflict: Conflict) -> Result<Upserter> {
        let probe = tx.query_row("SELECT EXISTS (SELECT 1 FROM usage_records)", [], |r| {
            r.get::<_, bool>(0)
        })?;
        Ok(Upserter {
            conflict,
            probe,
            seen: FxHashMap::default(),
            calls: 0,
            rollups: None,
            messages: None,
            triggers: Vec::new(),
        })
    }

    /// An upserter that also sums the rollups of what it writes when `usage_records` is empty, for a scan's
    /// transaction whose every change to `usage_records` goes through it (its writes, [`Upserter::forget_origin`]
    /// and [`Upserter::drop_shadowed_sidechains`]), ending with [`Upserter::drop_shadowed_sidechains`] and then
    /// [`Upserter::refresh_rollups`], which must run before the commit: until then `usage_records` has no
    /// triggers. It does not write a sidechain record whose message a main-chain record it wrote holds (the
    /// drop would take it away again).
    pub fn with_rollups(tx: &Transaction<'_>, conflict: Conflict) -> Result<Upserter> {
        let mut upserter = Upserter::new(tx, conflict)?;
        if !upserter.probe {
            upserter.rollups = Some(RollupSums::default());
            upserter.messages = Some(Messages::default());
            upserter.triggers = schema_sql(tx, "trigger")?
                .into_iter()
                .map(|(name, sql)| {
                    tx.execute_batch(&format!("DROP TRIGGER {}", quote_name(&name)))?;
                    Ok(sql)
                })
                .collect::<Result<_>>()?;
        }
        Ok(upserter)
    }

    /// Removes the records a file gave by position (before it is read again from the start).
    pub fn forget_origin(&mut self, tx: &Transaction<'_>, path: &str) -> Result<usize> {
        self.delete_returning(
            tx,
            "DELETE FROM usage_records WHERE origin_path = ?1",
            &[&path],
        )
    }

    /// Drops the sidechain copies of main-chain messages ([`DROP_SHADOWED_SQL`]): found from the keys kept
    /// here when this upserter wrote every record, else by the query.
    pub fn drop_shadowed_sidechains(&mut self, tx: &Transaction<'_>) -> Result<usize> {
        let Some(shadowed) = self.messages.as_ref().map(Messages::shadowed) else {
            return self.delete_returning(tx, DROP_SHADOWED_SQL, &[]);
        };
        if shadowed.is_empty() {
            return Ok(0);
        }
        let ids = serde_json::Value::from(shadowed).to_string();
        self.delete_returning(
            tx,
            "DELETE FROM usage_records WHERE id IN (SELECT value FROM json_each(?1))",
            &[&ids],
        )
    }

    /// Runs a DELETE of `usage_records`, forgetting the deleted ids (a record read again after them is new)
    /// and taking them out of the rollups summed here.
    fn delete_returning(
        &mut self,
        tx: &Transaction<'_>,
        sql: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<usize> {
        let mut stmt = tx.prepare_cached(&format!("{sql} RETURNING id, {ROLLUP_ROW}"))?;
        let mut rows = stmt.query(params)?;
        let mut deleted = 0;
        while let Some(r) = rows.next()? {
            let id = r.get::<_, i64>(0)?;
            self.seen.remove(&id);
            if let Some(messages) = self.messages.as_mut() {
                messages.deleted(id);
            }
            if let Some(rollups) = self.rollups.as_mut() {
                rollups.add_row(r, 1, -1)?;
            }
            deleted += 1;
        }
        Ok(deleted)
    }

    /// [`refresh_rollups`], from the sums kept here when there are any.
    pub fn refresh_rollups(self, tx: &Transaction<'_>) -> Result<usize> {
        match self.rollups {
            Some(sums) => {
                tx.execute_batch("DELETE FROM usage_hourly; DELETE FROM usage_hourly_models;")?;
                let rows = sums.write(tx)?;
                tx.execute("DELETE FROM usage_dirty_hours", [])?;
                for sql in &self.triggers {
                    tx.execute_batch(sql)?;
                }
                Ok(rows)
            }
            None => refresh_rollups(tx),
        }
    }

    /// Writes `records` (in order: of two equal duplicates the first is kept). Returns how many rows were
    /// inserted or changed.
    pub fn write(&mut self, tx: &Transaction<'_>, records: &[&UsageRecord]) -> Result<usize> {
        use rusqlite::types::ToSqlOutput;
        let mut inserts: Vec<&UsageRecord> = Vec::new();
        let mut updates: Vec<&UsageRecord> = Vec::new();
        self.calls += 1;
        let call = self.calls;
        let conflict = self.conflict;
        let wins = |new: Rank, old: Rank| match conflict {
            Conflict::KeepBetter => new > old,
            Conflict::Replace => true,
        };
        {
            let mut lookup = tx.prepare_cached(
                "SELECT rank_tokens, rank_cost, fast FROM usage_records WHERE id = ?1",
            )?;
            for r in records {
                if self.messages.as_ref().is_some_and(|m| m.shadows(r)) {
                    continue;
                }
                let rank = r.rank3();
                // One map lookup per record: chosen earlier in this call, stored before, or new here.
                if let Some(seen) = self.seen.get_mut(&r.id) {
                    if seen.call == call {
                        let slot = if seen.insert {
                            &mut inserts[seen.slot]
                        } else {
                            &mut updates[seen.slot]
                        };
                        if wins(rank, slot.rank3()) {
                            *slot = r;
                            seen.rank = rank;
                            if let Some(messages) = self.messages.as_mut() {
                                messages.wrote(r);
                            }
                        }
                    } else if wins(rank, seen.rank) {
                        *seen = Seen {
                            rank,
                            call,
                            insert: false,
                            slot: updates.len(),
                        };
                        updates.push(r);
                        if let Some(messages) = self.messages.as_mut() {
                            messages.wrote(r);
                        }
                    }
                    continue;
                }
                let stored: Option<Rank> = if self.probe {
                    lookup
                        .query_row([r.id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                        .optional()?
                } else {
                    None
                };
                let seen = match stored {
                    None => {
                        inserts.push(r);
                        if let Some(messages) = self.messages.as_mut() {
                            messages.inserted(r);
                        }
                        Seen {
                            rank,
                            call,
                            insert: true,
                            slot: inserts.len() - 1,
                        }
                    }
                    Some(old) if wins(rank, old) => {
                        updates.push(r);
                        if let Some(messages) = self.messages.as_mut() {
                            messages.wrote(r);
                        }
                        Seen {
                            rank,
                            call,
                            insert: false,
                            slot: updates.len() - 1,
                        }
                    }
                    Some(old) => Seen {
                        rank: old,
                        call: 0,
                        insert: false,
                        slot: 0,
                    },
                };
                self.seen.insert(r.id, seen);
            }
        }
        // New hours for the rollup refresh (SQL's truncating division, as the triggers and rollups use; the
        // triggers mark an updated row's old hour).
        let mut hours: Vec<i64> = inserts
            .iter()
            .chain(&updates)
            .map(|r| r.ts_ms / 3_600_000)
            .collect();
        hours.sort_unstable();
        hours.dedup();
        if self.rollups.is_none() {
            // (Summed here otherwise: every hour is rewritten from the sums.)
            let mut mark =
                tx.prepare_cached("INSERT OR IGNORE INTO usage_dirty_hours (hour) VALUES (?1)")?;
            for hour in hours {
                mark.execute([hour])?;
            }
        }
        let mut params: Vec<ToSqlOutput<'_>> = Vec::with_capacity(INSERT_BATCH * UPSERT_COLUMNS);
        let mut inserted = 0;
        let full = inserts.len() / INSERT_BATCH * INSERT_BATCH;
        fn run<'a>(
            stmt: &mut rusqlite::CachedStatement<'_>,
            rows: &[&'a UsageRecord],
            params: &mut Vec<rusqlite::types::ToSqlOutput<'a>>,
        ) -> Result<usize> {
            params.clear();
            for r in rows {
                upsert_values(r, params);
            }
            Ok(stmt.execute(rusqlite::params_from_iter(params.iter()))?)
        }
        if full > 0 {
            let mut batch = tx.prepare_cached(&insert_sql(INSERT_BATCH))?;
            for chunk in inserts[..full].chunks(INSERT_BATCH) {
                inserted += run(&mut batch, chunk, &mut params)?;
            }
        }
        if full < inserts.len() {
            let mut one = tx.prepare_cached(&insert_sql(1))?;
            for r in &inserts[full..] {
                inserted += run(&mut one, std::slice::from_ref(r), &mut params)?;
            }
        }
        if inserted != inserts.len() {
            return Err(crate::error::Error::Integrity(format!(
                "{} of {} new usage records were already stored",
                inserts.len() - inserted,
                inserts.len()
            )));
        }
        let mut update = tx.prepare_cached(&update_sql())?;
        for r in &updates {
            if let Some(rollups) = self.rollups.as_mut() {
                let mut old = tx.prepare_cached(&format!(
                    "SELECT {ROLLUP_ROW} FROM usage_records WHERE id = ?1"
                ))?;
                let mut rows = old.query([r.id])?;
                while let Some(row) = rows.next()? {
                    rollups.add_row(row, 0, -1)?;
                }
                rollups.add_record(r, 1)?;
            }
            inserted += run(&mut update, std::slice::from_ref(r), &mut params)?;
        }
        if let Some(rollups) = self.rollups.as_mut() {
            for r in &inserts {
                rollups.add_record(r, 1)?;
            }
        }
        Ok(inserted)
    }
}

/// Secondary indexes of `usage_records` set aside while a large first ingest writes (see [`defer_indexes`]).
#[derive(Debug)]
pub struct DeferredIndexes(Vec<String>);

/// The indexes of `usage_records` that nearly every record enters (time, and main-chain message ids): the
/// ones worth building after a first ingest. The partial indexes of sidechain messages and of records keyed
/// by file position hold few records and are kept up to date as they are (building them would read the
/// whole table once more for each).
const DEFERRABLE_INDEXES: &[&str] = &["usage_records_ts", "usage_records_main_message"];

/// When `usage_records` is empty, drops its [`DEFERRABLE_INDEXES`] and returns their definitions for
/// [`restore_indexes`]: building an index from all its rows at once is a sort and a bottom-up fill, much
/// cheaper than as many random insertions. Both happen in the caller's transaction, so a failed or
/// interrupted ingest leaves the indexes as they were.
pub fn defer_indexes(tx: &Transaction<'_>) -> Result<Option<DeferredIndexes>> {
    let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM usage_records)", [], |r| {
        r.get(0)
    })?;
    if !empty {
        return Ok(None);
    }
    let mut indexes = schema_sql(tx, "index")?;
    indexes.retain(|(name, _)| DEFERRABLE_INDEXES.contains(&name.as_str()));
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX {}", quote_name(name)))?;
    }
    Ok(Some(DeferredIndexes(
        indexes.into_iter().map(|(_, sql)| sql).collect(),
    )))
}

/// The names and definitions of `usage_records`' indexes or triggers (`kind`) that have a definition.
fn schema_sql(tx: &Transaction<'_>, kind: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = tx.prepare(
        "SELECT name, sql FROM sqlite_master
         WHERE type = ?1 AND tbl_name = 'usage_records' AND sql IS NOT NULL ORDER BY name",
    )?;
    let rows = stmt.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn quote_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Builds again the indexes [`defer_indexes`] dropped.
pub fn restore_indexes(tx: &Transaction<'_>, deferred: DeferredIndexes) -> Result<()> {
    for sql in deferred.0 {
        tx.execute_batch(&sql)?;
    }
    Ok(())
}

/// Sidechain records whose message also exists as a main-chain record: Claude Code repeats a sub-agent's
/// messages in the main session, and the main copy wins.
const DROP_SHADOWED_SQL: &str = "DELETE FROM usage_records WHERE sidechain = 1 AND EXISTS
    (SELECT 1 FROM usage_records AS main
     WHERE main.sidechain = 0 AND main.message_key = usage_records.message_key)";

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
