//! The `tallyvault` command line: clap glue over the core. Every command opens the store, does one thing,
//! and prints either a table or `--json`. Errors are one line on stderr and a non-zero exit.

mod budget_cmds;
mod password;
mod provider_cmds;
mod usage_cmds;
mod vault_cmds;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{Error, Result};

#[derive(Debug, Parser)]
#[command(
    name = "tallyvault",
    version,
    about = "Your AI provider keys, in a local encrypted vault, and what they cost"
)]
pub struct Cli {
    /// Where Tallyvault keeps its database (default: the platform data directory).
    #[arg(long, global = true, env = "TALLYVAULT_HOME", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Read the master password from the first line of this file (else TALLYVAULT_PASSWORD, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault.
    Init,
    /// Change the master password (new one from TALLYVAULT_NEW_PASSWORD or a prompt).
    Passwd,
    /// Vault-wide operations.
    #[command(subcommand)]
    Vault(vault_cmds::VaultCommand),
    /// Manage provider credentials.
    #[command(subcommand)]
    Creds(vault_cmds::CredsCommand),
    /// Read and verify the audit log.
    #[command(subcommand)]
    Audit(vault_cmds::AuditCommand),
    /// Read and change settings.
    #[command(subcommand)]
    Settings(vault_cmds::SettingsCommand),
    /// Read local agent logs (Claude Code, Codex CLI) into the usage store. No password needed.
    Scan(usage_cmds::ScanArgs),
    /// Import usage from a file (CSV).
    Import(usage_cmds::ImportArgs),
    /// Spend reports: daily, weekly, monthly, session, models, projects, providers.
    Report(usage_cmds::ReportArgs),
    /// The price table and your overrides.
    #[command(subcommand)]
    Prices(usage_cmds::PricesCommand),
    /// Budgets: add, list, edit, rm, check (check exits non-zero when any is over or projected over).
    #[command(subcommand)]
    Budget(budget_cmds::BudgetCommand),
    /// Alerts raised by budgets and anomalies: list, ack, resolve; the optional webhook.
    #[command(subcommand)]
    Alerts(budget_cmds::AlertsCommand),
    /// Spend projected to the end of the period, with an 80% interval, and when budgets run out.
    Forecast(budget_cmds::ForecastArgs),
    /// Days whose spend per provider or model is far from its usual level for that weekday.
    Anomalies(budget_cmds::AnomaliesArgs),
    /// What the same tokens would have cost on other models.
    Whatif(budget_cmds::WhatIfArgs),
    /// Provider accounts polled for usage and cost: add, list, status, retry.
    #[command(subcommand)]
    Providers(provider_cmds::ProvidersCommand),
    /// Poll the providers' usage and cost APIs now (needs the vault password: it reads the keys).
    Poll(provider_cmds::PollArgs),
    /// Per day (and model): what the provider billed, its usage × the price table, and the local-log estimate.
    Reconcile(provider_cmds::ReconcileArgs),
}

/// Parses the command line, runs it, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse_from(provider_cmds::route_report_reconcile(std::env::args_os()));
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tallyvault: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Log lines go to stderr, filtered by `TALLYVAULT_LOG` (`warn` by default; `info`, `debug`, or per target such
/// as `tallyvault::providers=debug`). A bad filter is reported once and the default kept.
fn init_logging() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let default = Targets::new().with_default(LevelFilter::WARN);
    let filter = match std::env::var("TALLYVAULT_LOG") {
        Ok(text) if !text.trim().is_empty() => text.parse::<Targets>().unwrap_or_else(|e| {
            eprintln!("warning: TALLYVAULT_LOG={text:?} is not a log filter ({e}); using warn");
            default.clone()
        }),
        _ => default,
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true);
    // Fails only if a subscriber is already set (an embedding program's): keep theirs.
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => crate::store::default_data_dir()?,
    };
    let ctx = vault_cmds::Context {
        data_dir,
        password_file: cli.password_file.clone(),
    };
    match cli.command {
        Command::Init => vault_cmds::init(&ctx),
        Command::Passwd => vault_cmds::passwd(&ctx),
        Command::Vault(cmd) => vault_cmds::vault(&ctx, cmd),
        Command::Creds(cmd) => vault_cmds::creds(&ctx, cmd),
        Command::Audit(cmd) => vault_cmds::audit(&ctx, cmd),
        Command::Settings(cmd) => vault_cmds::settings(&ctx, cmd),
        Command::Scan(args) => usage_cmds::scan(&ctx.store()?, args),
        Command::Import(args) => usage_cmds::import(&ctx.store()?, args),
        Command::Report(args) => usage_cmds::report(&ctx.store()?, args),
        Command::Prices(cmd) => usage_cmds::prices(&ctx.store()?, cmd),
        Command::Budget(cmd) => budget_cmds::budget(&ctx.store()?, cmd),
        Command::Alerts(cmd) => budget_cmds::alerts_cmd(&ctx, cmd),
        Command::Forecast(args) => budget_cmds::forecast_cmd(&ctx.store()?, args),
        Command::Anomalies(args) => budget_cmds::anomalies_cmd(&ctx.store()?, args),
        Command::Whatif(args) => budget_cmds::whatif_cmd(&ctx.store()?, args),
        Command::Providers(cmd) => provider_cmds::providers(&ctx, cmd),
        Command::Poll(args) => provider_cmds::poll(&ctx, args),
        Command::Reconcile(args) => provider_cmds::reconcile_cmd(&ctx.store()?, args),
    }
}

/// Prints `value` as pretty JSON on stdout.
fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::InvalidInput(format!("cannot encode the output: {e}")))?;
    println!("{text}");
    Ok(())
}
