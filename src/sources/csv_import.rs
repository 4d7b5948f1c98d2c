//! CSV imports: usage exported from a console or kept in a spreadsheet.
//!
//! A mapping names, for each field Tallyvault needs, the CSV column that holds it. The `generic` preset
//! expects these headers (case-insensitive; aliases in brackets):
//!
//! | field | header | required |
//! |---|---|---|
//! | time | `timestamp` [`date`, `time`, `datetime`, `usage_date_utc`] RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or `YYYY-MM-DD` | yes |
//! | model | `model` [`model_name`, `model_version`] | yes |
//! | input tokens (uncached) | `input_tokens` [`prompt_tokens`, `usage_input_tokens_no_cache`] | no |
//! | output tokens | `output_tokens` [`completion_tokens`, `usage_output_tokens`] | no |
//! | cache reads | `cache_read_tokens` [`input_cached_tokens`, `usage_input_tokens_cache_read`] | no |
//! | cache writes | `cache_write_tokens` [`cache_creation_tokens`, `usage_input_tokens_cache_write_5m`] | no |
//! | requests | `requests` [`num_model_requests`] | no (1) |
//! | cost, USD | `cost_usd` [`cost`, `amount`] | no (calculated) |
//! | provider | `provider` | no (from the model) |
//! | project | `project` [`project_id`, `workspace`, `workspace_id`, `api_key`] | no |
//!
//! `--map field=Header,...` names other headers (fields: time, model, input, output, cache_read, cache_write,
//! requests, cost, provider, project).
//!
//! Every row's id is the file name's stem plus the row's content, so importing the same file twice changes
//! nothing. Errors name the line and column; a file with errors imports nothing.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Money;
use crate::pricing::{PriceTable, TokenCounts};
use crate::store::Store;
use crate::usage::{self, record_id, Conflict, CostOrigin, UsageRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Time,
    Model,
    Input,
    Output,
    CacheRead,
    CacheWrite,
    Requests,
    Cost,
    Provider,
    Project,
}

/// The names `--map` accepts for each field.
const FIELD_NAMES: &[(&str, Field)] = &[
    ("time", Field::Time),
    ("model", Field::Model),
    ("input", Field::Input),
    ("output", Field::Output),
    ("cache_read", Field::CacheRead),
    ("cache_write", Field::CacheWrite),
    ("requests", Field::Requests),
    ("cost", Field::Cost),
    ("provider", Field::Provider),
    ("project", Field::Project),
];

/// Header names chosen by the user for some fields, overriding the default names.
#[derive(Debug, Clone, Default)]
pub struct Mapping(HashMap<Field, String>);

impl Mapping {
    /// Parses `field=Header,field=Header`.
    pub fn parse(text: &str) -> Result<Mapping> {
        let mut map = HashMap::new();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (field, header) = pair.split_once('=').ok_or_else(|| {
                Error::InvalidInput(format!("--map: {pair:?} is not field=Header"))
            })?;
            let field = FIELD_NAMES
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(field.trim()))
                .map(|(_, f)| *f)
                .ok_or_else(|| {
                    let names: Vec<&str> = FIELD_NAMES.iter().map(|(n, _)| *n).collect();
                    Error::InvalidInput(format!(
                        "--map: unknown field {:?} (fields: {})",
                        field.trim(),
                        names.join(", ")
                    ))
                })?;
            map.insert(field, header.trim().to_string());
        }
        Ok(Mapping(map))
    }
}

const FIELDS: &[(Field, &[&str], bool)] = &[
    (
        Field::Time,
        &["timestamp", "date", "time", "datetime", "usage_date_utc"],
        true,
    ),
    (
        Field::Model,
        &["model", "model_name", "model_version"],
        true,
    ),
    (
        Field::Input,
        &[
            "input_tokens",
            "prompt_tokens",
            "usage_input_tokens_no_cache",
        ],
        false,
    ),
    (
        Field::Output,
        &["output_tokens", "completion_tokens", "usage_output_tokens"],
        false,
    ),
    (
        Field::CacheRead,
        &[
            "cache_read_tokens",
            "input_cached_tokens",
            "usage_input_tokens_cache_read",
        ],
        false,
    ),
    (
        Field::CacheWrite,
        &[
            "cache_write_tokens",
            "cache_creation_tokens",
            "usage_input_tokens_cache_write_5m",
        ],
        false,
    ),
    (Field::Requests, &["requests", "num_model_requests"], false),
    (Field::Cost, &["cost_usd", "cost", "amount"], false),
    (Field::Provider, &["provider"], false),
    (
        Field::Project,
        &[
            "project",
            "project_id",
            "workspace",
            "workspace_id",
            "api_key",
        ],
        false,
    ),
];

/// One problem in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CsvProblem {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub records_written: usize,
    pub unpriced_rows: usize,
}

fn header_map(
    headers: &csv::StringRecord,
    mapping: &Mapping,
) -> std::result::Result<HashMap<Field, usize>, CsvProblem> {
    let mut map = HashMap::new();
    for (field, names, required) in FIELDS {
        if let Some(wanted) = mapping.0.get(field) {
            let clean = |h: &str| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            match headers
                .iter()
                .position(|h| clean(h) == wanted.to_ascii_lowercase())
            {
                Some(i) => {
                    map.insert(*field, i);
                    continue;
                }
                None => {
                    return Err(CsvProblem {
                        line: 1,
                        message: format!(
                            "--map names the column {wanted:?}, which is not in the header"
                        ),
                    })
                }
            }
        }
        let found = headers.iter().position(|h| {
            let h = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            names.iter().any(|n| *n == h)
        });
        match found {
            Some(i) => {
                map.insert(*field, i);
            }
            None if *required => {
                return Err(CsvProblem {
                    line: 1,
                    message: format!(
                        "no column for {:?}: expected a header named one of {}",
                        field,
                        names.join(", ")
                    ),
                })
            }
            None => {}
        }
    }
    Ok(map)
}

fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
}

/// A count from 0 to `usage::MAX_COUNT`; empty is 0.
fn parse_count(text: &str) -> Option<u64> {
    let text = text.trim().replace([',', '_'], "");
    if text.is_empty() {
        return Some(0);
    }
    text.parse::<u64>()
        .ok()
        .filter(|n| *n <= crate::usage::MAX_COUNT)
}

/// Reads and validates a CSV file; imports nothing if any row is wrong.
pub fn read(
    path: &Path,
    prices: &PriceTable,
    mapping: &Mapping,
) -> Result<std::result::Result<Vec<UsageRecord>, Vec<CsvProblem>>> {
    let file =
        std::fs::File::open(path).map_err(Error::io(format!("cannot open {}", path.display())))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    read_from(std::io::BufReader::new(file), &stem, prices, mapping)
}

/// [`read`] over any reader; `stem` names the source (`csv:<stem>`) and seeds the rows' ids.
pub fn read_from<R: std::io::Read>(
    input: R,
    stem: &str,
    prices: &PriceTable,
    mapping: &Mapping,
) -> Result<std::result::Result<Vec<UsageRecord>, Vec<CsvProblem>>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Ok(Err(vec![CsvProblem {
                line: 1,
                message: format!("cannot read the header: {e}"),
            }]))
        }
    };
    let columns = match header_map(&headers, mapping) {
        Ok(c) => c,
        Err(p) => return Ok(Err(vec![p])),
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(CsvProblem {
                    line,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        let get = |f: Field| columns.get(&f).and_then(|&i| row.get(i)).unwrap_or("");
        let mut bad = |column: &str, why: &str| {
            problems.push(CsvProblem {
                line,
                message: format!("{column}: {why}"),
            })
        };
        let Some(ts_ms) = parse_time(get(Field::Time)) else {
            bad(&headers[columns[&Field::Time]], "not a date or time");
            continue;
        };
        let model = get(Field::Model).trim().to_string();
        if model.is_empty() {
            bad(&headers[columns[&Field::Model]], "empty model");
            continue;
        }
        let mut counts = [0u64; 5];
        let mut ok = true;
        for (slot, field) in [
            Field::Input,
            Field::Output,
            Field::CacheRead,
            Field::CacheWrite,
            Field::Requests,
        ]
        .iter()
        .enumerate()
        {
            match parse_count(get(*field)) {
                Some(v) => counts[slot] = v,
                None => {
                    bad(
                        &headers[columns[field]],
                        "not a whole number from 0 to 1,000,000,000,000,000",
                    );
                    ok = false;
                }
            }
        }
        let reported = match get(Field::Cost).trim() {
            "" => None,
            text => match text
                .trim_start_matches('$')
                .parse::<rust_decimal::Decimal>()
                .ok()
                .and_then(Money::from_record_dollars)
            {
                Some(m) if m.nanos() >= 0 => Some(m),
                _ => {
                    bad(
                        &headers[columns[&Field::Cost]],
                        "not an amount in dollars (0 to 1,000,000,000)",
                    );
                    ok = false;
                    None
                }
            },
        };
        if !ok {
            continue;
        }
        let tokens = TokenCounts {
            input: counts[0],
            output: counts[1],
            cache_read: counts[2],
            cache_write_5m: counts[3],
            cache_write_1h: 0,
            reasoning: 0,
        };
        let price = prices.price(&model);
        let provider = match get(Field::Provider).trim() {
            "" => price
                .and_then(|p| p.provider.clone())
                .unwrap_or_else(|| "unknown".into()),
            p => p.to_ascii_lowercase(),
        };
        let (cost, cost_origin) = match (
            reported,
            price.and_then(|p| Money::from_dollars(p.cost(&tokens, false))),
        ) {
            (Some(r), _) => (Some(r), CostOrigin::Reported),
            (None, Some(c)) => (Some(c), CostOrigin::Calculated),
            (None, None) => (None, CostOrigin::Unpriced),
        };
        let content: Vec<&str> = row.iter().collect();
        records.push(UsageRecord {
            id: record_id(&[b"csv", stem.as_bytes(), content.join("\u{1f}").as_bytes()]),
            source: format!("csv:{stem}"),
            provider,
            model,
            project: get(Field::Project).trim().to_string(),
            session: String::new(),
            ts_ms,
            tokens,
            requests: counts[4].max(1) as i64,
            cost,
            cost_origin,
            reported_cost: reported,
            fast: false,
            message_key: None,
            sidechain: false,
            origin_path: None,
        });
    }
    Ok(if problems.is_empty() {
        Ok(records)
    } else {
        Err(problems)
    })
}

/// Imports a CSV file: all rows or, when any row is wrong, none (the problems are returned).
pub fn import(
    store: &Store,
    prices: &PriceTable,
    path: &Path,
    mapping: &Mapping,
) -> Result<std::result::Result<ImportSummary, Vec<CsvProblem>>> {
    let records = match read(path, prices, mapping)? {
        Ok(r) => r,
        Err(problems) => return Ok(Err(problems)),
    };
    let written = store.write(|tx| {
        let n = usage::upsert(tx, &records, Conflict::Replace)?;
        usage::refresh_rollups(tx)?;
        Ok(n)
    })?;
    Ok(Ok(ImportSummary {
        rows: records.len(),
        records_written: written,
        unpriced_rows: records.iter().filter(|r| r.cost.is_none()).count(),
    }))
}
