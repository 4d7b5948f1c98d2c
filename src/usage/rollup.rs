//! Hourly rollups of `usage_records`: `usage_hourly` (by hour, source, provider, model, speed and project) and
//! `usage_hourly_models` (the same summed over projects), refreshed in the transaction of every ingest, from
//! the hours marked stale or, for a first scan, from sums kept in Rust as records are written.

use rusqlite::Transaction;
use rustc_hash::FxHashMap;

use super::{CostOrigin, UsageRecord};
use crate::error::Result;
use crate::money::Money;

const ROLLUP_COLUMNS: &str = "hour, source, provider, model, fast, project, input_tokens, cache_write_5m, \
    cache_write_1h, cache_read, output_tokens, reasoning_tokens, requests, cost_nanos, unpriced_tokens, \
    unpriced_requests, reported_requests";

const ROLLUP_MODEL_COLUMNS: &str = "hour, source, provider, model, fast, input_tokens, cache_write_5m, \
    cache_write_1h, cache_read, output_tokens, reasoning_tokens, requests, cost_nanos, unpriced_tokens, \
    unpriced_requests, reported_requests";

const ROLLUP_SUMS: &str = "SUM(r.input_tokens), SUM(r.cache_write_5m), SUM(r.cache_write_1h), \
    SUM(r.cache_read), SUM(r.output_tokens), SUM(r.reasoning_tokens), SUM(r.requests), \
    COALESCE(SUM(r.cost_nanos), 0), \
    SUM(CASE WHEN r.cost_nanos IS NULL THEN r.input_tokens + r.cache_write_5m + r.cache_write_1h \
        + r.cache_read + r.output_tokens ELSE 0 END), \
    SUM(CASE WHEN r.cost_nanos IS NULL THEN r.requests ELSE 0 END), \
    SUM(CASE WHEN r.cost_origin = 'reported' THEN r.requests ELSE 0 END)";

/// Rebuilds the hourly rollups of every hour marked stale, and clears the marks. An hour is `ts / 3600000` in
/// SQL's division, which truncates towards zero (hour 0 spans the hour either side of the epoch), everywhere
/// hours are computed. When most hours are stale
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
    let all = dirty * 2 > total;
    let rows = if all {
        tx.execute_batch("DELETE FROM usage_hourly; DELETE FROM usage_hourly_models;")?;
        rebuild_all_rollups(tx)?
    } else {
        tx.execute(
            "DELETE FROM usage_hourly WHERE hour IN (SELECT hour FROM usage_dirty_hours)",
            [],
        )?;
        let rows = tx.execute(
            &format!(
                "INSERT INTO usage_hourly ({ROLLUP_COLUMNS})
                 SELECT d.hour, r.source, r.provider, r.model, r.fast, r.project, {ROLLUP_SUMS}
                 FROM usage_dirty_hours d
                 JOIN usage_records r ON r.ts > (d.hour - 1) * 3600000 AND r.ts < (d.hour + 1) * 3600000
                     AND r.ts / 3600000 = d.hour
                 GROUP BY d.hour, r.source, r.provider, r.model, r.fast, r.project"
            ),
            [],
        )?;
        refresh_model_rollups(tx)?;
        rows
    };
    tx.execute("DELETE FROM usage_dirty_hours", [])?;
    Ok(rows)
}

/// Derives the hours marked stale of `usage_hourly_models` (the rollups without the project) from
/// `usage_hourly` (a full rebuild writes both from [`RollupSums`]). The GROUP BY is a prefix of
/// `usage_hourly`'s key, so SQLite reads it in order without sorting.
fn refresh_model_rollups(tx: &Transaction<'_>) -> Result<()> {
    let hours = "WHERE hour IN (SELECT hour FROM usage_dirty_hours)";
    tx.execute(&format!("DELETE FROM usage_hourly_models {hours}"), [])?;
    tx.execute(
        &format!(
            "INSERT INTO usage_hourly_models
             SELECT hour, source, provider, model, fast, SUM(input_tokens), SUM(cache_write_5m),
                    SUM(cache_write_1h), SUM(cache_read), SUM(output_tokens), SUM(reasoning_tokens),
                    SUM(requests), SUM(cost_nanos), SUM(unpriced_tokens), SUM(unpriced_requests),
                    SUM(reported_requests)
             FROM usage_hourly {hours} GROUP BY hour, source, provider, model, fast"
        ),
        [],
    )?;
    Ok(())
}

/// Every hourly rollup from one pass over all records, summed in Rust: SQLite's GROUP BY would sort every
/// record on six columns first (on a first scan of 200,000 records that sort was most of the refresh). The
/// same groups and sums as [`ROLLUP_SUMS`] (a test compares the two).
fn rebuild_all_rollups(tx: &Transaction<'_>) -> Result<usize> {
    let mut sums = RollupSums::default();
    {
        let mut stmt = tx.prepare(&format!("SELECT {ROLLUP_ROW} FROM usage_records"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            sums.add_row(r, 0, 1)?;
        }
    }
    sums.write(tx)
}

/// What one record adds to its rollup, as [`RollupSums::add_row`] reads it.
pub(super) const ROLLUP_ROW: &str = "ts / 3600000, source, provider, model, fast, project, input_tokens, cache_write_5m, \
    cache_write_1h, cache_read, output_tokens, reasoning_tokens, requests, cost_nanos, cost_origin = 'reported'";

type RollupKey = (i64, u32, u32, u32, i64, u32);
const ROLLUP_SUMS_LEN: usize = 11;

/// Hourly rollups summed in Rust, record by record (added or taken away), then written at once.
#[derive(Default)]
pub(super) struct RollupSums {
    /// Source, provider, model and project names, each stored once.
    ids: FxHashMap<Vec<u8>, u32>,
    names: Vec<Vec<u8>>,
    /// The last name seen in each of the four places: records come file by file, so the next is nearly
    /// always the same (compared, not hashed).
    last: [Option<u32>; 4],
    /// Per group: how many records, and the sums in `ROLLUP_COLUMNS` order.
    groups: FxHashMap<RollupKey, (i64, [i64; ROLLUP_SUMS_LEN])>,
}

fn overflow() -> crate::error::Error {
    crate::error::Error::Integrity("usage totals overflow 64 bits".into())
}

impl RollupSums {
    fn name(&mut self, place: usize, name: &[u8]) -> u32 {
        if let Some(id) = self.last[place] {
            if self.names[id as usize] == name {
                return id;
            }
        }
        let id = match self.ids.get(name) {
            Some(id) => *id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(name.to_vec());
                self.ids.insert(name.to_vec(), id);
                id
            }
        };
        self.last[place] = Some(id);
        id
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) one record: `tokens` are input, cache writes 5m and 1h,
    /// cache read, output, reasoning and requests.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        hour: i64,
        names: [&[u8]; 4],
        fast: i64,
        tokens: [i64; 7],
        cost: Option<i64>,
        reported: bool,
        sign: i64,
    ) -> Result<()> {
        let key: RollupKey = (
            hour,
            self.name(0, names[0]),
            self.name(1, names[1]),
            self.name(2, names[2]),
            fast,
            self.name(3, names[3]),
        );
        let [input, write_5m, write_1h, read, output, _reasoning, requests] = tokens;
        let unpriced_tokens = if cost.is_none() {
            [write_5m, write_1h, read, output]
                .iter()
                .try_fold(input, |a, b| a.checked_add(*b))
                .ok_or_else(overflow)?
        } else {
            0
        };
        let add = [
            tokens[0],
            tokens[1],
            tokens[2],
            tokens[3],
            tokens[4],
            tokens[5],
            tokens[6],
            cost.unwrap_or(0),
            unpriced_tokens,
            if cost.is_none() { requests } else { 0 },
            if reported { requests } else { 0 },
        ];
        let (rows, sums) = self.groups.entry(key).or_insert((0, [0; ROLLUP_SUMS_LEN]));
        *rows += sign;
        for (sum, v) in sums.iter_mut().zip(add) {
            *sum = v
                .checked_mul(sign)
                .and_then(|v| sum.checked_add(v))
                .ok_or_else(overflow)?;
        }
        Ok(())
    }

    /// A row of `SELECT {ROLLUP_ROW}` (or the same columns RETURNING), starting at column `first`.
    pub(super) fn add_row(&mut self, r: &rusqlite::Row<'_>, first: usize, sign: i64) -> Result<()> {
        fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
            row.get_ref(i)?.as_bytes().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        }
        let mut tokens = [0i64; 7];
        for (i, v) in tokens.iter_mut().enumerate() {
            *v = r.get(first + 6 + i)?;
        }
        self.add(
            r.get(first)?,
            [
                text(r, first + 1)?,
                text(r, first + 2)?,
                text(r, first + 3)?,
                text(r, first + 5)?,
            ],
            r.get(first + 4)?,
            tokens,
            r.get(first + 13)?,
            r.get(first + 14)?,
            sign,
        )
    }

    /// A record as [`upsert_values`] stores it.
    pub(super) fn add_record(&mut self, r: &UsageRecord, sign: i64) -> Result<()> {
        let t = &r.tokens;
        self.add(
            r.ts_ms / 3_600_000,
            [
                r.source.as_bytes(),
                r.provider.as_bytes(),
                r.model.as_bytes(),
                r.project.as_bytes(),
            ],
            r.fast as i64,
            [
                t.input as i64,
                t.cache_write_5m as i64,
                t.cache_write_1h as i64,
                t.cache_read as i64,
                t.output as i64,
                t.reasoning as i64,
                r.requests,
            ],
            r.cost.map(Money::nanos),
            r.cost_origin == CostOrigin::Reported,
            sign,
        )
    }

    /// Inserts the groups that hold records into `usage_hourly`, and their sums over projects into
    /// `usage_hourly_models` (which must hold none of them).
    pub(super) fn write(self, tx: &Transaction<'_>) -> Result<usize> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        // In primary-key order, so the rollup table fills from its end.
        let mut groups: Vec<(RollupKey, [i64; ROLLUP_SUMS_LEN])> = self
            .groups
            .into_iter()
            .filter(|(_, (rows, _))| *rows != 0)
            .map(|(key, (_, sums))| (key, sums))
            .collect();
        let names = &self.names;
        let name = |id: u32| names[id as usize].as_slice();
        groups.sort_unstable_by(|(a, _), (b, _)| {
            (a.0, name(a.1), name(a.2), name(a.3), a.4, name(a.5)).cmp(&(
                b.0,
                name(b.1),
                name(b.2),
                name(b.3),
                b.4,
                name(b.5),
            ))
        });
        let mut insert = tx.prepare(&format!(
            "INSERT INTO usage_hourly ({ROLLUP_COLUMNS}) VALUES ({})",
            vec!["?"; 6 + ROLLUP_SUMS_LEN].join(", ")
        ))?;
        let text = |id: u32| ToSqlOutput::Borrowed(ValueRef::Text(name(id)));
        let int = |v: i64| ToSqlOutput::Borrowed(ValueRef::Integer(v));
        for ((hour, source, provider, model, fast, project), sums) in &groups {
            let mut values = vec![
                int(*hour),
                text(*source),
                text(*provider),
                text(*model),
                int(*fast),
                text(*project),
            ];
            values.extend(sums.iter().map(|v| int(*v)));
            insert.execute(rusqlite::params_from_iter(values.iter()))?;
        }
        // `usage_hourly_models`: the same groups without the project. Sorted with the project last, each
        // of its groups is a run of consecutive groups here.
        let mut insert = tx.prepare(&format!(
            "INSERT INTO usage_hourly_models ({ROLLUP_MODEL_COLUMNS}) VALUES ({})",
            vec!["?"; 5 + ROLLUP_SUMS_LEN].join(", ")
        ))?;
        let same_model =
            |a: &RollupKey, b: &RollupKey| (a.0, a.1, a.2, a.3, a.4) == (b.0, b.1, b.2, b.3, b.4);
        let mut start = 0;
        while start < groups.len() {
            let key = &groups[start].0;
            let mut end = start;
            let mut sums = [0i64; ROLLUP_SUMS_LEN];
            while end < groups.len() && same_model(key, &groups[end].0) {
                for (sum, v) in sums.iter_mut().zip(groups[end].1) {
                    *sum = sum.checked_add(v).ok_or_else(overflow)?;
                }
                end += 1;
            }
            let mut values = vec![
                int(key.0),
                text(key.1),
                text(key.2),
                text(key.3),
                int(key.4),
            ];
            values.extend(sums.iter().map(|v| int(*v)));
            insert.execute(rusqlite::params_from_iter(values.iter()))?;
            start = end;
        }
        Ok(groups.len())
    }
}
