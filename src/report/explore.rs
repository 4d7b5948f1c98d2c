//! The usage explorer: usage per local day (or over the whole range) and source, provider, model and project,
//! filtered, sorted and paged, and the same rows as CSV. Rows come from the hourly rollups through
//! [`day_buckets`], so a store of a million records answers in milliseconds.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use super::{day_buckets, Amounts, Grouping, ReportQuery};
use crate::error::{Error, Result};
use crate::store::Store;

/// A column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Date,
    Source,
    Provider,
    Model,
    Project,
    Requests,
    Tokens,
    Cost,
}

impl SortKey {
    pub fn parse(text: &str) -> Result<SortKey> {
        Ok(match text.trim() {
            "date" => SortKey::Date,
            "source" => SortKey::Source,
            "provider" => SortKey::Provider,
            "model" => SortKey::Model,
            "project" => SortKey::Project,
            "requests" => SortKey::Requests,
            "tokens" => SortKey::Tokens,
            "cost" => SortKey::Cost,
            other => {
                return Err(Error::InvalidInput(format!(
                    "cannot sort by {other:?} (date, source, provider, model, project, requests, tokens, cost)"
                )))
            }
        })
    }
}

pub const MAX_PAGE: usize = 1000;

#[derive(Debug, Clone)]
pub struct ExploreQuery {
    pub timezone: Tz,
    /// Local dates, inclusive.
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub sources: Vec<String>,
    pub providers: Vec<String>,
    pub models: Vec<String>,
    pub projects: Vec<String>,
    /// One row per local day (else one per combination over the whole range).
    pub per_day: bool,
    pub sort: SortKey,
    pub descending: bool,
    pub offset: usize,
    pub limit: usize,
}

impl ExploreQuery {
    pub fn new(timezone: Tz) -> ExploreQuery {
        ExploreQuery {
            timezone,
            since: None,
            until: None,
            sources: Vec::new(),
            providers: Vec::new(),
            models: Vec::new(),
            projects: Vec::new(),
            per_day: true,
            sort: SortKey::Date,
            descending: true,
            offset: 0,
            limit: 100,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExploreRow {
    /// `None` when rows span the whole range.
    pub date: Option<NaiveDate>,
    pub source: String,
    pub provider: String,
    pub model: String,
    pub project: String,
    pub amounts: Amounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplorePage {
    pub rows: Vec<ExploreRow>,
    /// Rows matching the filters, over all pages.
    pub total_rows: usize,
    /// Sums over all matching rows.
    pub totals: Amounts,
    pub offset: usize,
}

fn report_query(query: &ExploreQuery) -> ReportQuery {
    let mut q = ReportQuery::new(Grouping::Daily, query.timezone);
    q.since = query.since;
    q.until = query.until;
    let clean = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    };
    q.sources = clean(&query.sources);
    q.providers = clean(&query.providers);
    // Rows name fast-mode usage `<model>-fast` (as reports do); the store names the model alone.
    q.models = clean(&query.models)
        .into_iter()
        .flat_map(|m| {
            let base = m.strip_suffix("-fast").map(str::to_string);
            std::iter::once(m).chain(base)
        })
        .collect();
    q.projects = clean(&query.projects);
    q
}

fn compare(key: SortKey, a: &ExploreRow, b: &ExploreRow) -> Ordering {
    match key {
        SortKey::Date => a.date.cmp(&b.date),
        SortKey::Source => a.source.cmp(&b.source),
        SortKey::Provider => a.provider.cmp(&b.provider),
        SortKey::Model => a.model.cmp(&b.model),
        SortKey::Project => a.project.cmp(&b.project),
        SortKey::Requests => a.amounts.requests.cmp(&b.amounts.requests),
        SortKey::Tokens => a.amounts.tokens.total().cmp(&b.amounts.tokens.total()),
        SortKey::Cost => a.amounts.cost.cmp(&b.amounts.cost),
    }
}

/// Every matching row, sorted (ties: date, then cost descending, then names, so the order is stable).
fn sorted_rows(store: &Store, query: &ExploreQuery) -> Result<Vec<ExploreRow>> {
    let mut buckets = day_buckets(store, &report_query(query))?;
    let models: Vec<&str> = query
        .models
        .iter()
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
        .collect();
    if !models.is_empty() {
        buckets.retain(|b| models.contains(&b.model.as_str()));
    }
    let mut rows: Vec<ExploreRow> = if query.per_day {
        buckets
            .into_iter()
            .map(|b| ExploreRow {
                date: Some(b.date),
                source: b.source,
                provider: b.provider,
                model: b.model,
                project: b.project,
                amounts: b.amounts,
            })
            .collect()
    } else {
        let mut combined: BTreeMap<(String, String, String, String), Amounts> = BTreeMap::new();
        for b in buckets {
            combined
                .entry((b.source, b.provider, b.model, b.project))
                .or_default()
                .add(&b.amounts);
        }
        combined
            .into_iter()
            .map(|((source, provider, model, project), amounts)| ExploreRow {
                date: None,
                source,
                provider,
                model,
                project,
                amounts,
            })
            .collect()
    };
    rows.sort_by(|a, b| {
        let primary = compare(query.sort, a, b);
        let primary = if query.descending {
            primary.reverse()
        } else {
            primary
        };
        primary
            .then_with(|| b.date.cmp(&a.date))
            .then_with(|| b.amounts.cost.cmp(&a.amounts.cost))
            .then_with(|| {
                (&a.source, &a.provider, &a.model, &a.project).cmp(&(
                    &b.source,
                    &b.provider,
                    &b.model,
                    &b.project,
                ))
            })
    });
    Ok(rows)
}

/// One page of the explorer.
pub fn explore(store: &Store, query: &ExploreQuery) -> Result<ExplorePage> {
    if query.limit == 0 || query.limit > MAX_PAGE {
        return Err(Error::InvalidInput(format!(
            "a page holds 1 to {MAX_PAGE} rows"
        )));
    }
    let rows = sorted_rows(store, query)?;
    let mut totals = Amounts::default();
    for r in &rows {
        totals.add(&r.amounts);
    }
    let total_rows = rows.len();
    Ok(ExplorePage {
        rows: rows
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .collect(),
        total_rows,
        totals,
        offset: query.offset,
    })
}

/// The CSV header; costs are exact decimal dollars.
pub const CSV_HEADER: [&str; 15] = [
    "date",
    "source",
    "provider",
    "model",
    "project",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
    "reasoning_tokens",
    "total_tokens",
    "requests",
    "cost_usd",
    "unpriced_tokens",
    "unpriced_requests",
];

/// Every matching row (all pages, in the query's order) as CSV. Returns how many rows were written.
pub fn write_csv(store: &Store, query: &ExploreQuery, out: impl std::io::Write) -> Result<usize> {
    let rows = sorted_rows(store, query)?;
    let mut writer = csv::Writer::from_writer(out);
    let csv_error = |e: csv::Error| Error::Io {
        context: "cannot write the CSV export".into(),
        source: std::io::Error::other(e),
    };
    writer.write_record(CSV_HEADER).map_err(csv_error)?;
    for r in &rows {
        let a = &r.amounts;
        let t = &a.tokens;
        writer
            .write_record([
                r.date.map(|d| d.to_string()).unwrap_or_default(),
                r.source.clone(),
                r.provider.clone(),
                r.model.clone(),
                r.project.clone(),
                t.input.to_string(),
                t.output.to_string(),
                (t.cache_write_5m + t.cache_write_1h).to_string(),
                t.cache_read.to_string(),
                t.reasoning.to_string(),
                t.total().to_string(),
                a.requests.to_string(),
                a.cost.dollars().normalize().to_string(),
                a.unpriced_tokens.to_string(),
                a.unpriced_requests.to_string(),
            ])
            .map_err(csv_error)?;
    }
    writer
        .flush()
        .map_err(Error::io("cannot write the CSV export"))?;
    Ok(rows.len())
}

/// The distinct sources, providers, models and projects with usage in [since, until], for filter menus.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub sources: Vec<String>,
    pub providers: Vec<String>,
    pub models: Vec<String>,
    pub projects: Vec<String>,
}

pub fn facets(store: &Store, query: &ExploreQuery) -> Result<Facets> {
    let mut unfiltered = query.clone();
    unfiltered.sources.clear();
    unfiltered.providers.clear();
    unfiltered.models.clear();
    unfiltered.projects.clear();
    let mut sets: [std::collections::BTreeSet<String>; 4] = Default::default();
    for b in day_buckets(store, &report_query(&unfiltered))? {
        sets[0].insert(b.source);
        sets[1].insert(b.provider);
        sets[2].insert(b.model);
        sets[3].insert(b.project);
    }
    let [sources, providers, models, projects] = sets.map(|s| s.into_iter().collect());
    Ok(Facets {
        sources,
        providers,
        models,
        projects,
    })
}
