//! Aggregations of stored usage: by day, week or month in a chosen IANA time zone, or by session, model,
//! project or provider. Period reports read the hourly rollups; an hour that straddles a local midnight
//! (zones with half-hour offsets) is read from the records themselves, so every zone is exact.
//!
//! JSON output keeps ccusage's field names (`{"daily": [{"date", "inputTokens", ...}], "totals"}`) and adds
//! what ccusage lacks: unpriced tokens and requests shown apart, exact costs in nano-dollars, requests.

pub mod explore;
mod render;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::money::Money;
use crate::pricing::TokenCounts;
use crate::store::Store;

pub use render::{render_csv, render_json, render_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    Daily,
    Weekly,
    Monthly,
    Session,
    Models,
    Projects,
    Providers,
}

impl Grouping {
    /// ccusage's top-level key and row key.
    pub fn keys(self) -> (&'static str, &'static str) {
        match self {
            Grouping::Daily => ("daily", "date"),
            Grouping::Weekly => ("weekly", "week"),
            Grouping::Monthly => ("monthly", "month"),
            Grouping::Session => ("sessions", "sessionId"),
            Grouping::Models => ("models", "model"),
            Grouping::Projects => ("projects", "project"),
            Grouping::Providers => ("providers", "provider"),
        }
    }
}

/// What to report.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    pub grouping: Grouping,
    /// Local dates, inclusive.
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub timezone: Tz,
    /// Weeks start on Monday unless this says Sunday.
    pub week_starts_sunday: bool,
    /// Only these sources (e.g. `claude-code`), if given.
    pub sources: Vec<String>,
    pub providers: Vec<String>,
    /// Only these stored model names (exact), if given.
    pub models: Vec<String>,
    pub projects: Vec<String>,
}

impl ReportQuery {
    pub fn new(grouping: Grouping, timezone: Tz) -> ReportQuery {
        ReportQuery {
            grouping,
            since: None,
            until: None,
            timezone,
            week_starts_sunday: false,
            sources: Vec::new(),
            providers: Vec::new(),
            models: Vec::new(),
            projects: Vec::new(),
        }
    }
}

/// Tokens and money of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Amounts {
    pub tokens: TokenCounts,
    pub requests: i64,
    /// Cost of priced records.
    pub cost: Money,
    pub unpriced_tokens: u64,
    pub unpriced_requests: i64,
}

impl Amounts {
    pub fn add(&mut self, other: &Amounts) {
        self.tokens.add(&other.tokens);
        self.requests += other.requests;
        self.cost += other.cost;
        self.unpriced_tokens += other.unpriced_tokens;
        self.unpriced_requests += other.unpriced_requests;
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelAmounts {
    pub model: String,
    pub amounts: Amounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub key: String,
    pub amounts: Amounts,
    /// Per model, cost descending.
    pub models: Vec<ModelAmounts>,
    /// Session reports: the project and first/last activity (RFC 3339, UTC).
    pub project: Option<String>,
    pub first_activity: Option<String>,
    pub last_activity: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub grouping: Grouping,
    pub timezone: String,
    pub rows: Vec<Row>,
    pub totals: Amounts,
    pub unpriced_models: Vec<String>,
}

/// The name a model is reported under (fast-mode requests apart, as ccusage does).
fn model_label(model: &str, fast: bool) -> String {
    let base = if model.is_empty() {
        "(unknown model)"
    } else {
        model
    };
    if fast {
        format!("{base}-fast")
    } else {
        base.to_string()
    }
}

fn local_date(tz: &Tz, ms: i64) -> NaiveDate {
    let utc = DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
    tz.from_utc_datetime(&utc.naive_utc()).date_naive()
}

fn period_key(query: &ReportQuery, date: NaiveDate) -> String {
    match query.grouping {
        Grouping::Weekly => {
            let back = if query.week_starts_sunday {
                date.weekday().num_days_from_sunday()
            } else {
                date.weekday().num_days_from_monday()
            };
            (date - Duration::days(i64::from(back))).to_string()
        }
        Grouping::Monthly => format!("{:04}-{:02}", date.year(), date.month()),
        _ => date.to_string(),
    }
}

/// The UTC millisecond range that covers the local dates [since, until].
fn utc_range(query: &ReportQuery) -> (i64, i64) {
    let start = query.since.map_or(i64::MIN / 2, |d| {
        let t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        // The earliest instant with this local date, allowing for the widest offsets (±26 h).
        t.and_utc().timestamp_millis() - 26 * 3_600_000
    });
    let end = query.until.map_or(i64::MAX / 2, |d| {
        let t = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        t.and_utc().timestamp_millis() + 50 * 3_600_000
    });
    (start, end)
}

fn in_dates(query: &ReportQuery, date: NaiveDate) -> bool {
    query.since.is_none_or(|s| date >= s) && query.until.is_none_or(|u| date <= u)
}

fn filter_sql(query: &ReportQuery, first_param: usize) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut values = Vec::new();
    let mut n = first_param;
    for (column, list) in [
        ("source", &query.sources),
        ("provider", &query.providers),
        ("model", &query.models),
        ("project", &query.projects),
    ] {
        if list.is_empty() {
            continue;
        }
        let placeholders: Vec<String> = list
            .iter()
            .map(|v| {
                values.push(v.clone());
                n += 1;
                format!("?{}", n - 1)
            })
            .collect();
        sql.push_str(&format!(" AND {column} IN ({})", placeholders.join(", ")));
    }
    // Usage polled from providers' APIs (`<provider>-api`, src/providers) measures the same requests as the
    // local logs: it is shown only when asked for by source, never added to them.
    if query.sources.is_empty() {
        sql.push_str(&format!(" AND {}", crate::usage::LOCAL_SOURCE_SQL));
    }
    (sql, values)
}

/// The distinct names of one read, numbered, so that rows are grouped without a string allocated per row.
#[derive(Default)]
struct Names {
    ids: FxHashMap<String, u32>,
    list: Vec<String>,
    /// The last id given for each column of a row: rows come in key order, so a column mostly repeats the
    /// previous row's name, and a comparison is cheaper than a hash lookup.
    recent: [Option<u32>; COLUMNS],
}

/// Name columns of a bucket row, for [`Names::recent`].
const COLUMNS: usize = 4;
const SOURCE_COLUMN: usize = 0;
const PROVIDER_COLUMN: usize = 1;
const MODEL_COLUMN: usize = 2;
const PROJECT_COLUMN: usize = 3;

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.list.len() as u32;
        self.list.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// [`Names::id`] of a value of `column`, checking the column's previous name first (as bytes: a name
    /// seen before was checked as UTF-8 then).
    fn id_in(&mut self, column: usize, name: &[u8]) -> rusqlite::Result<u32> {
        if let Some(id) = self.recent[column] {
            if self.list[id as usize].as_bytes() == name {
                return Ok(id);
            }
        }
        let id = self.id(std::str::from_utf8(name).map_err(rusqlite::Error::Utf8Error)?);
        self.recent[column] = Some(id);
        Ok(id)
    }

    /// The id of the model's report label (fast mode apart).
    fn model(&mut self, model: &[u8], fast: bool) -> rusqlite::Result<u32> {
        if fast || model.is_empty() {
            let model = std::str::from_utf8(model).map_err(rusqlite::Error::Utf8Error)?;
            Ok(self.id(&model_label(model, fast)))
        } else {
            self.id_in(MODEL_COLUMN, model)
        }
    }

    /// Each id's place in the names' sorted order, so that sorting by ids sorts by names.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.list.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.get(*a).cmp(self.get(*b)));
        let mut ranks = vec![0; order.len()];
        for (rank, id) in order.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }

    fn get(&self, id: u32) -> &str {
        &self.list[id as usize]
    }
}

/// One stored bucket: a rollup hour (or, in an hour split by a local midnight, one record) of one source,
/// provider, model and project (ids in the read's [`Names`]).
struct Bucket {
    ms: i64,
    source: u32,
    provider: u32,
    /// The reported model name (fast-mode apart).
    model: u32,
    project: u32,
    amounts: Amounts,
}

fn amounts_from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Amounts> {
    let get = |i: usize| r.get::<_, i64>(first + i).map(|v| v.max(0) as u64);
    Ok(Amounts {
        tokens: TokenCounts {
            input: get(0)?,
            cache_write_5m: get(1)?,
            cache_write_1h: get(2)?,
            cache_read: get(3)?,
            output: get(4)?,
            reasoning: get(5)?,
        },
        requests: r.get(first + 6)?,
        cost: Money::from_nanos(r.get(first + 7)?),
        unpriced_tokens: get(8)?,
        unpriced_requests: r.get(first + 9)?,
    })
}

fn bucket_from_row(r: &rusqlite::Row<'_>, ms: i64, names: &mut Names) -> rusqlite::Result<Bucket> {
    let text = |i: usize| -> rusqlite::Result<&[u8]> { Ok(r.get_ref(i)?.as_bytes()?) };
    Ok(Bucket {
        ms,
        source: names.id_in(SOURCE_COLUMN, text(1)?)?,
        provider: names.id_in(PROVIDER_COLUMN, text(2)?)?,
        model: names.model(text(3)?, r.get(4)?)?,
        project: names.id_in(PROJECT_COLUMN, text(5)?)?,
        amounts: amounts_from_row(r, 6)?,
    })
}

/// Runs a report.
pub fn run(store: &Store, query: &ReportQuery) -> Result<Report> {
    check_dates(query)?;
    let rows = match query.grouping {
        Grouping::Session => session_rows(store, query)?,
        _ => bucket_rows(store, query)?,
    };
    let mut totals = Amounts::default();
    let mut unpriced: Vec<String> = Vec::new();
    for row in &rows {
        totals.add(&row.amounts);
        for m in &row.models {
            if m.amounts.unpriced_requests > 0 && !unpriced.contains(&m.model) {
                unpriced.push(m.model.clone());
            }
        }
    }
    unpriced.sort();
    Ok(Report {
        grouping: query.grouping,
        timezone: query.timezone.name().to_string(),
        rows,
        totals,
        unpriced_models: unpriced,
    })
}

fn check_dates(query: &ReportQuery) -> Result<()> {
    match (query.since, query.until) {
        (Some(s), Some(u)) if s > u => Err(Error::InvalidInput(format!(
            "--since {s} is after --until {u}"
        ))),
        _ => Ok(()),
    }
}

/// Every stored bucket of usage the query covers, read from the hourly rollups; hours split by a local
/// midnight (half-hour zones) are read from their records, so each bucket has exactly one local date.
/// Without `by_project` the rollups without the project (`usage_hourly_models`, a quarter of the rows or fewer)
/// are read, and every bucket's project is `""`.
fn buckets(store: &Store, query: &ReportQuery, by_project: bool) -> Result<(Vec<Bucket>, Names)> {
    let (start, end) = utc_range(query);
    let (filter, values) = filter_sql(query, 3);
    store.read(|tx| {
        let mut out = Vec::new();
        let mut names = Names::default();
        // A project filter needs the project (filter_sql names it only then).
        let by_project = by_project || !query.projects.is_empty();
        let (table, project) = if by_project {
            ("usage_hourly", "project")
        } else {
            ("usage_hourly_models", "'' AS project")
        };
        // Each rollup row is one (hour, source, provider, model, fast, project), its primary key: read as is
        // (a GROUP BY over the key would add nothing and cost several times the read).
        let sql = format!(
            "SELECT hour, source, provider, model, fast, {project}, input_tokens, cache_write_5m,
                    cache_write_1h, cache_read, output_tokens, reasoning_tokens, requests, cost_nanos,
                    unpriced_tokens, unpriced_requests
             FROM {table} WHERE hour >= ?1 AND hour <= ?2 {filter}"
        );
        let mut stmt = tx.prepare(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![];
        let (h0, h1) = (start.div_euclid(3_600_000), end.div_euclid(3_600_000));
        params.push(&h0);
        params.push(&h1);
        for v in &values {
            params.push(v);
        }
        let mut straddling = Vec::new();
        let mut rows = stmt.query(params.as_slice())?;
        // Rows come in hour order: whether an hour is split by a local midnight is decided once per hour.
        let mut last: Option<(i64, bool)> = None;
        while let Some(r) = rows.next()? {
            let hour: i64 = r.get(0)?;
            let ms = hour * 3_600_000;
            let split = match last {
                Some((h, split)) if h == hour => split,
                _ => {
                    let split = local_date(&query.timezone, ms)
                        != local_date(&query.timezone, ms + 3_599_999);
                    last = Some((hour, split));
                    split
                }
            };
            if split {
                straddling.push(hour);
                continue;
            }
            out.push(bucket_from_row(r, ms, &mut names)?);
        }
        straddling.sort_unstable();
        straddling.dedup();
        // Hours split by a local midnight: read their records one by one.
        let sql = format!(
            "SELECT ts, source, provider, model, fast, {project}, input_tokens, cache_write_5m, cache_write_1h,
                    cache_read, output_tokens, reasoning_tokens, requests, COALESCE(cost_nanos, 0),
                    CASE WHEN cost_nanos IS NULL THEN input_tokens + cache_write_5m + cache_write_1h + cache_read
                         + output_tokens ELSE 0 END,
                    CASE WHEN cost_nanos IS NULL THEN requests ELSE 0 END
             FROM usage_records WHERE ts >= ?1 AND ts < ?2 {filter}"
        );
        let mut stmt = tx.prepare(&sql)?;
        for hour in straddling {
            let (a, b) = (hour * 3_600_000, (hour + 1) * 3_600_000);
            let mut params: Vec<&dyn rusqlite::ToSql> = vec![&a, &b];
            for v in &values {
                params.push(v);
            }
            let mut rows = stmt.query(params.as_slice())?;
            while let Some(r) = rows.next()? {
                out.push(bucket_from_row(r, r.get(0)?, &mut names)?);
            }
        }
        Ok((out, names))
    })
}

/// Usage of one local day, source, provider, model (fast mode apart, as reports name it) and project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayBucket {
    pub date: NaiveDate,
    pub source: String,
    pub provider: String,
    pub model: String,
    pub project: String,
    pub amounts: Amounts,
}

/// The query's usage per local day and source, provider, model and project, oldest first: what the usage
/// explorer aggregates further. Reads the hourly rollups, so it stays fast on big stores.
pub fn day_buckets(store: &Store, query: &ReportQuery) -> Result<Vec<DayBucket>> {
    day_buckets_by(store, query, true)
}

/// [`day_buckets`] with `project` left empty unless `by_project` (or the query filters by project): the
/// dashboard, its chart and the tray need no project, and read the rollups without it (a row per hour and
/// model rather than per hour, model and project).
pub fn day_buckets_by(
    store: &Store,
    query: &ReportQuery,
    by_project: bool,
) -> Result<Vec<DayBucket>> {
    check_dates(query)?;
    // A long range is read as two halves at once (each on its own connection, on rayon's pool, which the scan
    // uses too): buckets are per local day, so the halves' buckets are disjoint and, each sorted, follow one
    // another.
    if let (Some(since), Some(until)) = (query.since, query.until) {
        let span = (until - since).num_days();
        if span >= SPLIT_DAYS {
            let mid = since + Duration::days(span / 2 + 1);
            let (mut first, mut second) = (query.clone(), query.clone());
            first.until = Some(mid - Duration::days(1));
            second.since = Some(mid);
            let (first, second) = rayon::join(
                || sorted_day_buckets(store, &first, by_project),
                || sorted_day_buckets(store, &second, by_project),
            );
            let mut out = first?;
            out.extend(second?);
            return Ok(out);
        }
    }
    sorted_day_buckets(store, query, by_project)
}

/// The number of days from which [`day_buckets_by`] reads two halves at once (a 60-day range reads in a few
/// milliseconds; a year's in tens).
const SPLIT_DAYS: i64 = 60;

fn sorted_day_buckets(
    store: &Store,
    query: &ReportQuery,
    by_project: bool,
) -> Result<Vec<DayBucket>> {
    let (mut days, names) = days(store, query, by_project)?;
    // Sorted by the names' ranks, which sorts by the names without comparing strings.
    let ranks = names.ranks();
    let rank = |id: u32| ranks[id as usize];
    days.sort_unstable_by_key(|((date, source, provider, model, project), _)| {
        (
            *date,
            rank(*source),
            rank(*provider),
            rank(*model),
            rank(*project),
        )
    });
    Ok(days
        .into_iter()
        .map(
            |((date, source, provider, model, project), amounts)| DayBucket {
                date,
                source: names.get(source).to_string(),
                provider: names.get(provider).to_string(),
                model: names.get(model).to_string(),
                project: names.get(project).to_string(),
                amounts,
            },
        )
        .collect())
}

type DayKey = (NaiveDate, u32, u32, u32, u32);

/// The query's usage summed per local date, source, provider, model label and project (in no order).
fn days(
    store: &Store,
    query: &ReportQuery,
    by_project: bool,
) -> Result<(Vec<(DayKey, Amounts)>, Names)> {
    let (buckets, names) = buckets(store, query, by_project)?;
    let mut days: FxHashMap<DayKey, Amounts> = FxHashMap::default();
    let mut last: Option<(i64, NaiveDate)> = None;
    for b in buckets {
        let date = match last {
            Some((ms, date)) if ms == b.ms => date,
            _ => {
                let date = local_date(&query.timezone, b.ms);
                last = Some((b.ms, date));
                date
            }
        };
        if in_dates(query, date) {
            days.entry((date, b.source, b.provider, b.model, b.project))
                .or_default()
                .add(&b.amounts);
        }
    }
    Ok((days.into_iter().collect(), names))
}

fn bucket_rows(store: &Store, query: &ReportQuery) -> Result<Vec<Row>> {
    let (days, names) = days(store, query, query.grouping == Grouping::Projects)?;
    let mut keys: HashMap<NaiveDate, String> = HashMap::new();
    let mut groups: BTreeMap<String, BTreeMap<String, Amounts>> = BTreeMap::new();
    for ((date, _source, provider, model, project), amounts) in days {
        let key = match query.grouping {
            Grouping::Daily | Grouping::Weekly | Grouping::Monthly => keys
                .entry(date)
                .or_insert_with(|| period_key(query, date))
                .clone(),
            Grouping::Models => names.get(model).to_string(),
            Grouping::Projects => names.get(project).to_string(),
            _ => names.get(provider).to_string(),
        };
        let models = groups.entry(key).or_default();
        match models.get_mut(names.get(model)) {
            Some(sum) => sum.add(&amounts),
            None => {
                models.insert(names.get(model).to_string(), amounts);
            }
        }
    }
    Ok(groups
        .into_iter()
        .map(|(key, models)| row_from_models(key, models))
        .collect())
}

fn row_from_models(key: String, models: BTreeMap<String, Amounts>) -> Row {
    let mut amounts = Amounts::default();
    let mut list: Vec<ModelAmounts> = models
        .into_iter()
        .map(|(model, a)| {
            amounts.add(&a);
            ModelAmounts { model, amounts: a }
        })
        .collect();
    list.sort_by(|a, b| {
        b.amounts
            .cost
            .cmp(&a.amounts.cost)
            .then_with(|| a.model.cmp(&b.model))
    });
    Row {
        key,
        amounts,
        models: list,
        project: None,
        first_activity: None,
        last_activity: None,
    }
}

fn session_rows(store: &Store, query: &ReportQuery) -> Result<Vec<Row>> {
    let (start, end) = utc_range(query);
    let (filter, values) = filter_sql(query, 3);
    // Records are read as they are and added up here, by interned names: SQLite's GROUP BY would sort every
    // record first, which costs three times the read on a big store.
    let sql = format!(
        "SELECT session, project, model, fast, input_tokens, cache_write_5m, cache_write_1h, cache_read,
                output_tokens, reasoning_tokens, requests, COALESCE(cost_nanos, 0),
                CASE WHEN cost_nanos IS NULL THEN input_tokens + cache_write_5m + cache_write_1h + cache_read
                    + output_tokens ELSE 0 END,
                CASE WHEN cost_nanos IS NULL THEN requests ELSE 0 END, ts
         FROM usage_records WHERE ts >= ?1 AND ts < ?2 {filter}"
    );
    /// Per (session, project): each model's amounts, first and last activity.
    type Acc = (HashMap<u32, Amounts>, i64, i64);
    let mut names = Names::default();
    let mut accs: HashMap<(u32, u32), Acc> = HashMap::new();
    store.read(|tx| {
        let mut stmt = tx.prepare(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&start, &end];
        for v in &values {
            params.push(v);
        }
        let mut rows = stmt.query(params.as_slice())?;
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> rusqlite::Result<&str> { Ok(r.get_ref(i)?.as_str()?) };
            let session = names.id(text(0)?);
            let project = names.id(text(1)?);
            let bytes = |i: usize| -> rusqlite::Result<&[u8]> { Ok(r.get_ref(i)?.as_bytes()?) };
            let model = names.model(bytes(2)?, r.get(3)?)?;
            let amounts = amounts_from_row(r, 4)?;
            let ts: i64 = r.get(14)?;
            let entry = accs
                .entry((session, project))
                .or_insert_with(|| (HashMap::new(), i64::MAX, i64::MIN));
            entry.0.entry(model).or_default().add(&amounts);
            entry.1 = entry.1.min(ts);
            entry.2 = entry.2.max(ts);
        }
        Ok(())
    })?;
    let sessions = accs
        .into_iter()
        .map(|((session, project), (models, first, last))| {
            let models: BTreeMap<String, Amounts> = models
                .into_iter()
                .map(|(m, a)| (names.get(m).to_string(), a))
                .collect();
            (
                (names.get(session).to_string(), ()),
                (names.get(project).to_string(), models, first, last),
            )
        });
    let fmt = |ms: i64| DateTime::<Utc>::from_timestamp_millis(ms).map(crate::audit::format_time);
    let mut rows: Vec<Row> = sessions
        .into_iter()
        .filter(|(_, (_, _, _, last))| in_dates(query, local_date(&query.timezone, *last)))
        .map(|((session, _), (project, models, first, last))| {
            let mut row = row_from_models(session, models);
            row.project = Some(project);
            row.first_activity = fmt(first);
            row.last_activity = fmt(last);
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        a.last_activity
            .cmp(&b.last_activity)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(rows)
}

/// The system's IANA time zone, or UTC when it cannot be told.
pub fn system_timezone() -> Tz {
    if let Ok(name) = std::env::var("TZ") {
        if let Ok(tz) = name.trim_start_matches(':').parse::<Tz>() {
            return tz;
        }
    }
    if let Ok(text) = std::fs::read_to_string("/etc/timezone") {
        if let Ok(tz) = text.trim().parse::<Tz>() {
            return tz;
        }
    }
    if let Ok(target) = std::fs::read_link("/etc/localtime") {
        let text = target.to_string_lossy();
        if let Some(i) = text.find("zoneinfo/") {
            if let Ok(tz) = text[i + "zoneinfo/".len()..].parse::<Tz>() {
                return tz;
            }
        }
    }
    Tz::UTC
}

/// The zone the user asked for in settings (`timezone`), else the system's.
pub fn configured_timezone(store: &Store) -> Result<Tz> {
    match crate::vault::setting(store, "timezone")? {
        Some(name) => parse_timezone(&name),
        None => Ok(system_timezone()),
    }
}

/// Parses an IANA zone name with a clear error.
pub fn parse_timezone(name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| {
        Error::InvalidInput(format!(
            "unknown time zone {name:?} (use an IANA name such as Europe/Berlin)"
        ))
    })
}
