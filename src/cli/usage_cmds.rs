//! Commands over usage: scan, import, report, prices. None needs the vault password: usage is not secret.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use super::print_json;
use crate::error::{Error, Result};
use crate::pricing::{self, PriceTable, RateOverride};
use crate::report::{self, Grouping, ReportQuery};
use crate::sources::{self, csv_import, Progress, ScanRequest, SourceKind};
use crate::store::Store;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SourceArg {
    ClaudeCode,
    Codex,
    All,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Which local logs to read.
    #[arg(long, value_enum, default_value_t = SourceArg::All)]
    source: SourceArg,
    /// Read this folder instead of the default ones (a Claude config dir or its projects/, a Codex home).
    #[arg(long = "path", value_name = "DIR")]
    paths: Vec<PathBuf>,
    #[arg(long)]
    json: bool,
}

/// A progress bar on stderr, shown only at a terminal and only once a scan has run for a moment.
struct Bar {
    bar: indicatif::ProgressBar,
    started: Instant,
    shown: Mutex<bool>,
}

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "scanning {bar:40} {bytes}/{total_bytes} ({eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Bar {
            bar,
            started: Instant::now(),
            shown: Mutex::new(false),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.bar.set_length(total);
    }
    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        if !*shown
            && self.started.elapsed() > Duration::from_millis(400)
            && std::io::stderr().is_terminal()
        {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            *shown = true;
        }
    }
    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn scan_request(source: SourceArg, paths: &[PathBuf]) -> ScanRequest {
    let sources = match source {
        SourceArg::ClaudeCode => vec![SourceKind::ClaudeCode],
        SourceArg::Codex => vec![SourceKind::Codex],
        SourceArg::All => vec![SourceKind::ClaudeCode, SourceKind::Codex],
    };
    ScanRequest {
        sources,
        roots: if paths.is_empty() {
            None
        } else {
            Some(paths.to_vec())
        },
    }
}

pub fn scan(store: &Store, args: ScanArgs) -> Result<ExitCode> {
    let prices = PriceTable::load(store)?;
    let bar = Bar::new();
    let summary = sources::scan(
        store,
        &prices,
        &scan_request(args.source, &args.paths),
        &bar,
    )?;
    if args.json {
        print_json(&summary)?;
    } else {
        println!(
            "{} files ({} read, {:.1} MB), {} lines, {} usage lines, {} new or changed records, {} lines skipped, in {} ms",
            summary.files,
            summary.files_read,
            summary.bytes_read as f64 / 1e6,
            summary.lines,
            summary.usage_lines,
            summary.records_written,
            summary.skipped_lines,
            summary.duration_ms
        );
    }
    super::budget_cmds::after_ingest(store)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ImportFormat {
    /// CSV with the column names documented in `tallyvault import --help`.
    Csv,
}

#[derive(Debug, Args)]
#[command(
    after_help = "CSV columns (headers, case-insensitive): timestamp|date, model (required); input_tokens, \
output_tokens, cache_read_tokens, cache_write_tokens, requests, cost_usd, provider, project (optional). \
Aliases: prompt_tokens, completion_tokens, num_model_requests, usage_input_tokens_no_cache, \
usage_output_tokens, usage_input_tokens_cache_read, usage_input_tokens_cache_write_5m, workspace, project_id, \
cost, amount. A file with any bad row imports nothing and names each bad line."
)]
pub struct ImportArgs {
    file: PathBuf,
    #[arg(long, value_enum, default_value_t = ImportFormat::Csv)]
    format: ImportFormat,
    /// Other header names: field=Header,... (fields: time, model, input, output, cache_read, cache_write,
    /// requests, cost, provider, project).
    #[arg(long)]
    map: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn import(store: &Store, args: ImportArgs) -> Result<ExitCode> {
    let prices = PriceTable::load(store)?;
    match args.format {
        ImportFormat::Csv => match csv_import::import(
            store,
            &prices,
            &args.file,
            &csv_import::Mapping::parse(args.map.as_deref().unwrap_or(""))?,
        )? {
            Ok(summary) => {
                if args.json {
                    print_json(&summary)?;
                } else {
                    println!(
                        "Imported {} rows ({} records written, {} unpriced).",
                        summary.rows, summary.records_written, summary.unpriced_rows
                    );
                }
                super::budget_cmds::after_ingest(store)?;
                Ok(ExitCode::SUCCESS)
            }
            Err(problems) => {
                for p in problems.iter().take(50) {
                    eprintln!("{}:{}: {}", args.file.display(), p.line, p.message);
                }
                if problems.len() > 50 {
                    eprintln!("... and {} more", problems.len() - 50);
                }
                Err(Error::InvalidInput(format!(
                    "{} bad row(s); nothing was imported",
                    problems.len()
                )))
            }
        },
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportKind {
    Daily,
    Weekly,
    Monthly,
    Session,
    Models,
    Projects,
    Providers,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[arg(value_enum)]
    kind: ReportKind,
    /// First local date, YYYY-MM-DD or YYYYMMDD (inclusive).
    #[arg(long)]
    since: Option<String>,
    /// Last local date (inclusive).
    #[arg(long)]
    until: Option<String>,
    /// IANA time zone for day boundaries (default: the system's).
    #[arg(long, alias = "tz")]
    timezone: Option<String>,
    /// One line per model under each row.
    #[arg(long)]
    breakdown: bool,
    /// Weeks start on Sunday (default Monday).
    #[arg(long)]
    week_starts_sunday: bool,
    /// Only these sources (claude-code, codex, csv:NAME, ...).
    #[arg(long = "source")]
    sources: Vec<String>,
    /// Only these providers.
    #[arg(long = "provider")]
    providers: Vec<String>,
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    #[arg(long)]
    csv: bool,
    /// Do not scan local logs first.
    #[arg(long)]
    no_scan: bool,
}

pub fn parse_date(text: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(text, "%Y%m%d"))
        .map_err(|_| Error::InvalidInput(format!("{text:?} is not a date (YYYY-MM-DD)")))
}

pub fn report(store: &Store, args: ReportArgs) -> Result<ExitCode> {
    let grouping = match args.kind {
        ReportKind::Daily => Grouping::Daily,
        ReportKind::Weekly => Grouping::Weekly,
        ReportKind::Monthly => Grouping::Monthly,
        ReportKind::Session => Grouping::Session,
        ReportKind::Models => Grouping::Models,
        ReportKind::Projects => Grouping::Projects,
        ReportKind::Providers => Grouping::Providers,
    };
    let tz = match &args.timezone {
        Some(name) => report::parse_timezone(name)?,
        None => report::system_timezone(),
    };
    let mut query = ReportQuery::new(grouping, tz);
    query.since = args.since.as_deref().map(parse_date).transpose()?;
    query.until = args.until.as_deref().map(parse_date).transpose()?;
    query.week_starts_sunday = args.week_starts_sunday;
    query.sources = args.sources;
    query.providers = args.providers;
    let result = if args.no_scan {
        report::run(store, &query)?
    } else {
        let prices = PriceTable::load(store)?;
        // The report is read while the scan runs. When the scan read no new bytes it wrote nothing, so that
        // read is current and is used (a rescan costs the longer of the two, not their sum); otherwise the
        // report is read again after the scan.
        let (scanned, early) = std::thread::scope(|s| {
            let early = s.spawn(|| report::run(store, &query));
            let scanned = sources::scan(store, &prices, &ScanRequest::default(), &Bar::new());
            (scanned, early.join())
        });
        match (scanned?, early) {
            (summary, Ok(Ok(result))) if summary.files_read == 0 => result,
            _ => report::run(store, &query)?,
        }
    };
    if args.json {
        print_json(&report::render_json(&result))?;
    } else if args.csv {
        let text = report::render_csv(&result)
            .map_err(|e| Error::InvalidInput(format!("cannot write CSV: {e}")))?;
        print!("{text}");
    } else {
        print!("{}", report::render_table(&result, args.breakdown));
    }
    if !args.no_scan {
        super::budget_cmds::after_ingest(store)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum PricesCommand {
    /// List the price table (USD per million tokens).
    List {
        /// Only models whose name contains this.
        filter: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show the entry a model name resolves to.
    Show { model: String },
    /// Add or replace a model's rates, in USD per million tokens.
    Set {
        model: String,
        #[arg(long)]
        input: Option<Decimal>,
        #[arg(long)]
        output: Option<Decimal>,
        #[arg(long)]
        cache_write: Option<Decimal>,
        #[arg(long)]
        cache_read: Option<Decimal>,
        #[arg(long)]
        provider: Option<String>,
    },
    /// Remove a model's override.
    Unset { model: String },
}

fn per_million(entry: &serde_json::Value, field: &str) -> String {
    entry
        .get(field)
        .map(|v| v.to_string())
        .and_then(|t| {
            t.parse::<Decimal>()
                .ok()
                .or_else(|| Decimal::from_scientific(&t).ok())
        })
        .map(|d| (d * Decimal::from(1_000_000)).normalize().to_string())
        .unwrap_or_else(|| "-".into())
}

pub fn prices(store: &Store, cmd: PricesCommand) -> Result<ExitCode> {
    match cmd {
        PricesCommand::List { filter, json } => {
            let table = PriceTable::load(store)?;
            let entries: Vec<_> = table
                .list()
                .into_iter()
                .filter(|e| filter.as_deref().is_none_or(|f| e.model.contains(f)))
                .collect();
            if json {
                print_json(&serde_json::json!({"snapshot": table.snapshot(), "models": entries}))?;
            } else {
                let s = table.snapshot();
                println!(
                    "Price table: {} ({} models, taken {}); USD per million tokens",
                    s.source, s.models, s.date
                );
                println!(
                    "{:<48} {:>10} {:>10} {:>12} {:>11}",
                    "MODEL", "INPUT", "OUTPUT", "CACHE WRITE", "CACHE READ"
                );
                for e in entries {
                    println!(
                        "{:<48} {:>10} {:>10} {:>12} {:>11}{}",
                        e.model,
                        per_million(&e.entry, "input_cost_per_token"),
                        per_million(&e.entry, "output_cost_per_token"),
                        per_million(&e.entry, "cache_creation_input_token_cost"),
                        per_million(&e.entry, "cache_read_input_token_cost"),
                        if e.overridden { "  (override)" } else { "" }
                    );
                }
            }
        }
        PricesCommand::Show { model } => {
            let table = PriceTable::load(store)?;
            match table.show(&model) {
                Some(entry) => print_json(&entry)?,
                None => {
                    return Err(Error::NotFound(format!(
                        "no price for {model:?}: it is unpriced"
                    )))
                }
            }
        }
        PricesCommand::Set {
            model,
            input,
            output,
            cache_write,
            cache_read,
            provider,
        } => {
            let rates = RateOverride {
                input,
                output,
                cache_write,
                cache_read,
                provider,
            };
            let now = crate::audit::format_time(chrono::Utc::now());
            pricing::set_override(store, &model, &rates, &now)?;
            let table = PriceTable::load(store)?;
            let changed = crate::usage::reprice(store, &table)?;
            println!("Price for {model} set; {changed} record(s) repriced.");
        }
        PricesCommand::Unset { model } => {
            if !pricing::unset_override(store, &model)? {
                return Err(Error::NotFound(format!("no override for {model:?}")));
            }
            let table = PriceTable::load(store)?;
            let changed = crate::usage::reprice(store, &table)?;
            println!("Override for {model} removed; {changed} record(s) repriced.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
