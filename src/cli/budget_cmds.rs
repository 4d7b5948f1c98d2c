//! Commands over budgets, alerts, forecasts, anomalies and what-ifs. None needs the vault password except
//! configuring (and delivering to) the alert webhook, whose URL is a vault secret.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::{Duration, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use serde_json::json;

use super::password;
use super::print_json;
use super::usage_cmds::parse_date;
use super::vault_cmds::Context;
use crate::budget::{self, alerts, budgets, period, webhook, BudgetSpec, PeriodKind, Scope};
use crate::clock::SystemClock;
use crate::error::{Error, Result};
use crate::forecast::{self, whatif};
use crate::money::Money;
use crate::pricing::PriceTable;
use crate::report;
use crate::store::Store;
use crate::vault::{self, Vault};

/// The zone budgets are measured in: `--timezone`, else the `timezone` setting, else the system's.
fn timezone(store: &Store, flag: Option<&str>) -> Result<Tz> {
    if let Some(name) = flag {
        return report::parse_timezone(name);
    }
    report::configured_timezone(store)
}

fn parse_amount(text: &str) -> Result<Money> {
    Money::parse_dollars(text)
        .filter(|m| m.nanos() > 0)
        .ok_or_else(|| Error::InvalidInput(format!("{text:?} is not a positive dollar amount")))
}

#[derive(Debug, Args)]
pub struct BudgetFields {
    /// Amount in USD, e.g. 100 or 12.50.
    #[arg(long)]
    amount: Option<String>,
    /// day, week (Monday to Sunday) or month.
    #[arg(long)]
    period: Option<String>,
    /// Month periods: the billing cycle's first day (1-31; past a month's end, its last day).
    #[arg(long)]
    cycle_day: Option<u32>,
    #[arg(long)]
    provider: Option<String>,
    /// A model name or a glob such as 'claude-*'.
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    project: Option<String>,
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    name: Option<String>,
    /// Percent thresholds (default 50,80,100).
    #[arg(long)]
    thresholds: Option<String>,
    /// Do not alert when the period is only projected to go over.
    #[arg(long)]
    no_forecast_alert: bool,
}

impl BudgetFields {
    fn spec(self) -> Result<BudgetSpec> {
        Ok(BudgetSpec {
            name: self.name,
            amount: self.amount.as_deref().map(parse_amount).transpose()?,
            period: self.period.as_deref().map(PeriodKind::parse).transpose()?,
            cycle_day: self.cycle_day,
            scope: Scope {
                provider: self.provider,
                model: self.model,
                project: self.project,
                source: self.source,
            },
            thresholds: self
                .thresholds
                .as_deref()
                .map(budget::parse_thresholds)
                .transpose()?,
            forecast_alert: self.no_forecast_alert.then_some(false),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum BudgetCommand {
    /// Add a budget.
    Add(BudgetFields),
    /// List budgets with their current period's spend and projection.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, alias = "tz")]
        timezone: Option<String>,
    },
    /// Change a budget (scope fields given as '' are cleared).
    Edit {
        budget: String,
        #[command(flatten)]
        fields: BudgetFields,
        /// Alert again when the period is projected to go over.
        #[arg(long, conflicts_with = "no_forecast_alert")]
        forecast_alert: bool,
    },
    /// Delete a budget (its alerts stay in the history).
    Rm { budget: String },
    /// Exit non-zero when any budget is over or projected to go over (for scripts and CI).
    Check {
        #[arg(long)]
        json: bool,
        #[arg(long, alias = "tz")]
        timezone: Option<String>,
    },
}

fn now_text() -> String {
    crate::audit::format_time(Utc::now())
}

fn print_status(statuses: &[budget::BudgetStatus]) {
    if statuses.is_empty() {
        println!("No budgets. Add one with `tallyvault budget add --amount 100 --period month`.");
        return;
    }
    println!(
        "{:>3}  {:<24} {:<7} {:<26} {:>12} {:>12} {:>6} {:>12}  STATUS",
        "ID", "NAME", "PERIOD", "SCOPE", "SPENT", "AMOUNT", "USED", "PROJECTED"
    );
    for s in statuses {
        let state = if s.over {
            "OVER"
        } else if s.projected_over() {
            "projected over"
        } else {
            "ok"
        };
        println!(
            "{:>3}  {:<24} {:<7} {:<26} {:>12} {:>12} {:>5.0}% {:>12}  {state}",
            s.budget.id,
            s.budget.name,
            s.budget.period.as_str(),
            s.budget.scope.describe(),
            s.spent.to_string(),
            s.budget.amount.to_string(),
            s.percent,
            s.projection.projected.to_string(),
        );
    }
}

pub fn budget(store: &Store, cmd: BudgetCommand) -> Result<ExitCode> {
    match cmd {
        BudgetCommand::Add(fields) => {
            let b = budgets::add(store, fields.spec()?, &now_text())?;
            println!(
                "Added budget {} \"{}\": {} per {}{} for {}, thresholds {:?}%",
                b.id,
                b.name,
                b.amount,
                b.period.as_str(),
                if b.period == PeriodKind::Month && b.cycle_day != 1 {
                    format!(" (cycle from day {})", b.cycle_day)
                } else {
                    String::new()
                },
                b.scope.describe(),
                b.thresholds
            );
        }
        BudgetCommand::List { json, timezone: tz } => {
            let tz = timezone(store, tz.as_deref())?;
            let statuses = budget::status(store, Utc::now(), &tz)?;
            if json {
                print_json(&statuses)?;
            } else {
                print_status(&statuses);
            }
        }
        BudgetCommand::Edit {
            budget,
            fields,
            forecast_alert,
        } => {
            let mut spec = fields.spec()?;
            if forecast_alert {
                spec.forecast_alert = Some(true);
            }
            let b = budgets::edit(store, &budget, spec, &now_text())?;
            println!("Budget {} \"{}\" updated.", b.id, b.name);
        }
        BudgetCommand::Rm { budget } => {
            let b = budgets::remove(store, &budget)?;
            println!("Deleted budget {} \"{}\".", b.id, b.name);
        }
        BudgetCommand::Check { json, timezone: tz } => {
            let tz = timezone(store, tz.as_deref())?;
            let statuses = budget::status(store, Utc::now(), &tz)?;
            let failing: Vec<_> = statuses
                .iter()
                .filter(|s| s.over || s.projected_over())
                .collect();
            if json {
                print_json(&json!({
                    "ok": failing.is_empty(),
                    "budgets": statuses,
                }))?;
            } else {
                print_status(&statuses);
            }
            if !failing.is_empty() {
                eprintln!(
                    "tallyvault: {} budget(s) over or projected over",
                    failing.len()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Open and acknowledged alerts, newest first.
    List {
        /// Resolved ones too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Acknowledge an alert.
    Ack { id: i64 },
    /// Resolve an alert.
    Resolve { id: i64 },
    /// Deliver pending alerts to the webhook (needs the vault password).
    Notify {
        /// Queue failed deliveries again first.
        #[arg(long)]
        retry_failed: bool,
    },
    /// Configure the Slack-compatible webhook (its URL is read from stdin and kept in the vault).
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Store the webhook URL (read from stdin, never from argv).
    Set,
    /// Remove the webhook.
    Rm,
}

fn print_alerts(list: &[alerts::Alert]) {
    if list.is_empty() {
        println!("No alerts.");
        return;
    }
    for a in list {
        println!(
            "#{:<4} {:<12} {:<9} {}  {}{}",
            a.id,
            a.state.as_str(),
            a.kind,
            a.created_at,
            a.message,
            match a.webhook_state.as_str() {
                "pending" => "  [webhook pending]",
                "failed" => "  [webhook failed]",
                _ => "",
            }
        );
    }
}

pub fn alerts_cmd(ctx: &Context, cmd: AlertsCommand) -> Result<ExitCode> {
    match cmd {
        AlertsCommand::List { all, json } => {
            let list = alerts::list(&ctx.store()?, all)?;
            if json {
                print_json(&list)?;
            } else {
                print_alerts(&list);
            }
        }
        AlertsCommand::Ack { id } => {
            let a = alerts::acknowledge(&ctx.store()?, id, &now_text())?;
            println!("Alert {} acknowledged.", a.id);
        }
        AlertsCommand::Resolve { id } => {
            let a = alerts::resolve(&ctx.store()?, id, &now_text())?;
            println!("Alert {} resolved.", a.id);
        }
        AlertsCommand::Notify { retry_failed } => {
            let store = ctx.store()?;
            if retry_failed {
                webhook::retry_failed(&store)?;
            }
            if !webhook::is_configured(&store)? {
                return Err(Error::InvalidInput(
                    "no webhook is configured: `tallyvault alerts webhook set` reads its URL from stdin".into(),
                ));
            }
            let report = with_unlocked(ctx, |v| {
                webhook::deliver_pending(v, &webhook::RetryPolicy::default())
            })?;
            println!(
                "{} alert(s) delivered, {} failed.",
                report.delivered.len(),
                report.failed.len()
            );
            for (id, reason) in &report.failed {
                eprintln!("alert {id}: {reason}");
            }
            if !report.failed.is_empty() {
                return Ok(ExitCode::FAILURE);
            }
        }
        AlertsCommand::Webhook(WebhookCommand::Set) => {
            let url = password::secret_from_stdin("Webhook URL")?;
            with_unlocked(ctx, |v| webhook::configure(v, url))?;
            println!("Webhook stored in the vault; new alerts will be posted to it.");
        }
        AlertsCommand::Webhook(WebhookCommand::Rm) => {
            with_unlocked(ctx, webhook::remove)?;
            println!("Webhook removed.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn unlock(ctx: &Context, password: &crate::crypto::SecretString) -> Result<Vault> {
    let store = ctx.store()?;
    if !vault::exists(&store)? {
        return Err(Error::NoVault(ctx.data_dir.clone()));
    }
    let (vault, _) = Vault::unlock(
        &ctx.data_dir,
        store,
        password,
        &password::kdf_policy(),
        Arc::new(SystemClock),
    )?;
    Ok(vault)
}

fn with_unlocked<T>(ctx: &Context, f: impl FnOnce(&Vault) -> Result<T>) -> Result<T> {
    let password = password::current(ctx.password_file.as_deref())?;
    let vault = unlock(ctx, &password)?;
    let result = f(&vault);
    let locked = vault.lock();
    let value = result?;
    locked?;
    Ok(value)
}

/// Runs the alert engine after an ingest: tells about new alerts on stderr, and delivers them to the webhook
/// when the password is available without a prompt (TALLYVAULT_PASSWORD); otherwise says how to. A failure
/// here is a warning: the ingest itself succeeded.
pub fn after_ingest(store: &Store) -> Result<()> {
    if let Err(e) = evaluate_and_notify(store) {
        eprintln!("warning: alerts were not evaluated: {e}");
    }
    Ok(())
}

fn evaluate_and_notify(store: &Store) -> Result<()> {
    let tz = timezone(store, None)?;
    let raised = budget::evaluate(store, Utc::now(), tz)?;
    for a in &raised {
        eprintln!("alert #{}: {}", a.id, a.message);
    }
    let pending = webhook::pending_count(store)?;
    if pending == 0 {
        return Ok(());
    }
    match std::env::var("TALLYVAULT_PASSWORD") {
        Ok(text) if !text.is_empty() => {
            let ctx = Context {
                data_dir: store.path().parent().map(|p| p.to_path_buf()).unwrap_or_default(),
                password_file: None,
            };
            let password = crate::crypto::SecretString::new(text);
            let vault = unlock(&ctx, &password)?;
            let report = webhook::deliver_pending(&vault, &webhook::RetryPolicy::default());
            vault.lock()?;
            let report = report?;
            for (id, reason) in &report.failed {
                eprintln!("alert #{id}: {reason}");
            }
        }
        _ => eprintln!(
            "{pending} alert(s) wait for the webhook: run `tallyvault alerts notify` (needs the vault password)"
        ),
    }
    Ok(())
}

#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// The period to project to the end of, for all usage: day, week or month.
    #[arg(long, default_value = "month")]
    period: String,
    #[arg(long, default_value_t = 1)]
    cycle_day: u32,
    #[arg(long, alias = "tz")]
    timezone: Option<String>,
    #[arg(long)]
    json: bool,
}

fn print_projection(title: &str, p: &forecast::PeriodProjection) {
    println!(
        "{title}: {} to {}",
        p.period_start,
        p.period_end.pred_opt().unwrap_or(p.period_end)
    );
    println!(
        "  spent {}, projected {} ({:.0}% interval {} to {})",
        p.spent,
        p.projected,
        p.level * 100.0,
        p.lower,
        p.upper
    );
    if let Some(b) = p.budget {
        match p.exhaustion_date {
            Some(_) if p.spent >= b => println!("  budget {b}: already spent"),
            Some(d) => println!("  budget {b}: projected to run out on {d}"),
            None => println!("  budget {b}: not projected to run out this period"),
        }
    }
    let history = match (p.history_from, p.history_to) {
        (Some(a), Some(b)) => format!("{} days of history, {a} to {b}", p.history_days),
        _ => "no history".into(),
    };
    println!("  method: {} on {history}", p.method);
    if let Some(note) = &p.note {
        println!("  note: {note}");
    }
}

pub fn forecast_cmd(store: &Store, args: ForecastArgs) -> Result<ExitCode> {
    let tz = timezone(store, args.timezone.as_deref())?;
    let now = Utc::now();
    let kind = PeriodKind::parse(&args.period)?;
    let overall = forecast::project_scope(
        store,
        &tz,
        now,
        &Scope::default(),
        kind,
        args.cycle_day,
        None,
    )?;
    let statuses = budget::status(store, now, &tz)?;
    if args.json {
        let budgets: Vec<_> = statuses
            .iter()
            .map(|s| json!({"budget_id": s.budget.id, "name": s.budget.name, "projection": s.projection}))
            .collect();
        print_json(&json!({"timezone": tz.name(), "all_usage": overall, "budgets": budgets}))?;
    } else {
        print_projection(&format!("All usage, this {}", kind.as_str()), &overall);
        for s in &statuses {
            print_projection(
                &format!("Budget {} \"{}\"", s.budget.id, s.budget.name),
                &s.projection,
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct AnomaliesArgs {
    /// How many complete days back to look.
    #[arg(long, default_value_t = 30)]
    days: i64,
    #[arg(long, alias = "tz")]
    timezone: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn anomalies_cmd(store: &Store, args: AnomaliesArgs) -> Result<ExitCode> {
    if !(1..=366).contains(&args.days) {
        return Err(Error::InvalidInput(
            "--days must be between 1 and 366".into(),
        ));
    }
    let tz = timezone(store, args.timezone.as_deref())?;
    let found = forecast::recent_anomalies(store, &tz, Utc::now(), args.days)?;
    if args.json {
        print_json(&found)?;
    } else if found.is_empty() {
        println!("No anomalies in the last {} day(s).", args.days);
    } else {
        for a in &found {
            println!(
                "{} {:<8} {:<32} {:<18} {}",
                a.date,
                a.dimension,
                a.key,
                a.kind.as_str(),
                a.reason
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct WhatIfArgs {
    /// The model whose usage to re-price (a name or a glob).
    #[arg(long)]
    model: String,
    /// Models to compare, comma-separated (default: the same provider's family).
    #[arg(long, value_delimiter = ',')]
    to: Vec<String>,
    /// First local date (default: 30 days ago).
    #[arg(long)]
    since: Option<String>,
    /// Last local date (inclusive; default today).
    #[arg(long)]
    until: Option<String>,
    #[arg(long, alias = "tz")]
    timezone: Option<String>,
    #[arg(long)]
    json: bool,
}

pub fn whatif_cmd(store: &Store, args: WhatIfArgs) -> Result<ExitCode> {
    let tz = timezone(store, args.timezone.as_deref())?;
    let today = period::local_date(&tz, Utc::now());
    let since = args
        .since
        .as_deref()
        .map(parse_date)
        .transpose()?
        .unwrap_or(today - Duration::days(30));
    let until = args
        .until
        .as_deref()
        .map(parse_date)
        .transpose()?
        .unwrap_or(today);
    if since > until {
        return Err(Error::InvalidInput(format!(
            "--since {since} is after --until {until}"
        )));
    }
    let prices = PriceTable::load(store)?;
    let usage = whatif::load_usage(
        store,
        &args.model,
        period::local_midnight(&tz, since).timestamp_millis(),
        period::local_midnight(&tz, until + Duration::days(1)).timestamp_millis(),
    )?;
    let targets: Vec<String> = if args.to.is_empty() {
        whatif::family(&prices, &args.model)
    } else {
        args.to
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    };
    let result = whatif::what_if(&prices, &args.model, &usage, &targets);
    if args.json {
        print_json(&json!({"since": since, "until": until, "whatif": result}))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} from {since} to {until}: {} requests, {} tokens, cost {}{}",
        args.model,
        result.requests,
        result.tokens.total(),
        result.actual,
        if result.unpriced_requests > 0 {
            format!(" (+{} unpriced requests)", result.unpriced_requests)
        } else {
            String::new()
        }
    );
    if result.requests == 0 {
        println!("No usage of {} in that period.", args.model);
    }
    println!("{:<44} {:>14} {:>14}", "ON MODEL", "WOULD COST", "SAVING");
    for alt in &result.alternatives {
        match (alt.cost, alt.saving_nanos) {
            (Some(cost), Some(saving)) => println!(
                "{:<44} {:>14} {:>14}",
                alt.model,
                cost.to_string(),
                Money::from_nanos(saving).to_string()
            ),
            _ => println!("{:<44} {:>14} {:>14}", alt.model, "unpriced", "-"),
        }
    }
    Ok(ExitCode::SUCCESS)
}
