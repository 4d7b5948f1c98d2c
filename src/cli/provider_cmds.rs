//! `providers add|set-url|list|status|retry`, `poll` and `reconcile`: provider accounts polled with keys from
//! the vault. `poll` and `providers retry` need the password (they read keys), and so do `providers add
//! --base-url` and `providers set-url` (they choose where a key is sent); nothing else does.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::print_json;
use super::vault_cmds::{with_vault, Context};
use crate::error::{Error, Result};
use crate::providers::accounts::{self, Account, NewAccount};
use crate::providers::poll::{Plan, PollReport};
use crate::providers::{reconcile, run, schedule};
use crate::store::Store;
use crate::vault::{self, CredentialRef};

#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// Poll a provider's usage and cost API with a key from the vault.
    Add(AddArgs),
    /// Point an account at another base URL, or back at its provider's own (`--default`). Asks for the master
    /// password: the account's key will be sent there. Audited.
    SetUrl(SetUrlArgs),
    /// Accounts and their settings.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Last success, last error, circuit state and the retry queue of each account.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Fetch every queued (failed) window again now.
    Retry {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// openai, anthropic or openrouter.
    provider: String,
    /// The vault credential (id or label) holding the admin / management key.
    #[arg(long)]
    credential: String,
    /// Another endpoint (a proxy, a regional endpoint, a test server): https://, or http:// to 127.0.0.1, ::1
    /// or localhost only. The key will be sent there, so this asks for the master password (audited).
    #[arg(long)]
    base_url: Option<String>,
    /// Poll interval: 90s, 15m, 1h (default 15m).
    #[arg(long, default_value = "15m")]
    interval: String,
    /// Days fetched by the first poll.
    #[arg(long, default_value_t = accounts::DEFAULT_BACKFILL_DAYS)]
    backfill_days: i64,
}

#[derive(Debug, Args)]
pub struct SetUrlArgs {
    /// The account's id (`providers list`).
    account: i64,
    /// The new base URL (https://, or http:// to this machine only).
    #[arg(required_unless_present = "default", conflicts_with = "default")]
    url: Option<String>,
    /// Use the provider's own URL again.
    #[arg(long)]
    default: bool,
}

#[derive(Debug, Args)]
pub struct PollArgs {
    /// Only accounts of this provider.
    #[arg(long)]
    provider: Option<String>,
    /// Fetch (again) from this UTC date, YYYY-MM-DD, instead of the backfill or trailing window.
    #[arg(long)]
    since: Option<String>,
    /// Keep running: poll each account on its interval (±10% jitter) until interrupted.
    #[arg(long, conflicts_with = "since")]
    watch: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// First UTC date, YYYY-MM-DD (inclusive).
    #[arg(long)]
    since: Option<String>,
    /// Last UTC date (inclusive).
    #[arg(long)]
    until: Option<String>,
    #[arg(long)]
    provider: Option<String>,
    /// Also one line per model where the provider names it.
    #[arg(long)]
    breakdown: bool,
    #[arg(long)]
    json: bool,
}

/// `tallyvault report reconcile ...` is `tallyvault reconcile ...`: the report kinds are a closed list owned by
/// the usage reports, so the reconciliation report is routed here before clap parses.
pub fn route_report_reconcile(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.into_iter().collect();
    let takes_value = |a: &std::ffi::OsString| a == "--data-dir" || a == "--password-file";
    let at = (1..args.len().saturating_sub(1))
        .find(|&i| args[i] == "report" && args[i + 1] == "reconcile" && !takes_value(&args[i - 1]));
    if let Some(i) = at {
        args.remove(i);
    }
    args
}

pub fn parse_interval(text: &str) -> Result<i64> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = digits
        .parse()
        .map_err(|_| Error::InvalidInput(format!("bad interval {text:?}: use 90s, 15m or 1h")))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(Error::InvalidInput(format!(
                "bad interval {text:?}: use 90s, 15m or 1h"
            )))
        }
    };
    n.checked_mul(scale)
        .ok_or_else(|| Error::InvalidInput(format!("interval {text:?} is too long")))
}

fn parse_date(text: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::InvalidInput(format!("bad date {text:?}: use YYYY-MM-DD")))
}

fn now_text() -> String {
    crate::audit::format_time(chrono::Utc::now())
}

pub fn providers(ctx: &Context, cmd: ProvidersCommand) -> Result<ExitCode> {
    let store = ctx.store()?;
    match cmd {
        ProvidersCommand::Add(args) => {
            let reference = CredentialRef::parse(&args.credential);
            let credential = store.read(|tx| vault::find_credential(tx, &reference))?;
            let new = NewAccount {
                provider: args.provider.trim().to_ascii_lowercase(),
                credential_id: credential.id,
                base_url: args.base_url,
                interval_secs: parse_interval(&args.interval)?,
                backfill_days: args.backfill_days,
            };
            let account = if new.base_url.is_some() {
                // The key will go to this URL: refuse a bad one before asking for the password.
                accounts::validate(&new)?;
                with_vault(ctx, |vault| vault.add_provider_account(&new, &now_text()))?
            } else {
                accounts::add(&store, &new, &now_text())?
            };
            println!(
                "added {} account {} (credential {:?}, every {}s)",
                account.provider, account.id, account.credential_label, account.interval_secs
            );
            Ok(ExitCode::SUCCESS)
        }
        ProvidersCommand::SetUrl(args) => {
            accounts::find(&store, args.account)?;
            let url = match args.url.as_deref() {
                Some(url) if !args.default => {
                    Some(crate::providers::destination::check_base_url(url)?)
                }
                _ => None,
            };
            let account = with_vault(ctx, |vault| {
                vault.set_provider_base_url(args.account, url.as_deref())
            })?;
            println!(
                "{} account {} now polls {}",
                account.provider,
                account.id,
                account
                    .base_url
                    .as_deref()
                    .unwrap_or("the provider's own URL")
            );
            Ok(ExitCode::SUCCESS)
        }
        ProvidersCommand::List { json } => {
            let list = accounts::list(&store)?;
            if json {
                print_json(&list)?;
            } else {
                println!(
                    "{:>3}  {:<10}  {:<20}  {:>8}  base URL",
                    "id", "provider", "credential", "interval"
                );
                for a in &list {
                    println!(
                        "{:>3}  {:<10}  {:<20}  {:>7}s  {}",
                        a.id,
                        a.provider,
                        a.credential_label,
                        a.interval_secs,
                        a.base_url.as_deref().unwrap_or("(default)")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ProvidersCommand::Status { json } => status(&store, json),
        ProvidersCommand::Retry { json } => {
            let reports = run_polls(ctx, &store, None, |_| Plan::QueueOnly)?;
            print_reports(&reports, json)
        }
    }
}

fn status(store: &Store, json: bool) -> Result<ExitCode> {
    let list = accounts::list(store)?;
    let queue = accounts::queue(store, None)?;
    let balances = accounts::balances(store)?;
    if json {
        let balances: Vec<serde_json::Value> = balances
            .iter()
            .map(|(id, b)| {
                let mut value = serde_json::json!(b);
                value["account_id"] = serde_json::json!(id);
                value["credits_remaining"] = serde_json::json!(b.credits_remaining());
                value
            })
            .collect();
        print_json(&serde_json::json!({"accounts": list, "queue": queue, "balances": balances}))?;
        return Ok(ExitCode::SUCCESS);
    }
    for a in &list {
        println!(
            "{} {} ({}): circuit {}{}, {} queued, {} requests, last success {}, last error {}",
            a.provider,
            a.id,
            a.credential_label,
            a.circuit_state.as_str(),
            a.circuit_open_until_ms
                .filter(|_| a.circuit_state != crate::providers::breaker::CircuitState::Closed)
                .and_then(chrono::DateTime::from_timestamp_millis)
                .map(|t| format!(" until {}", crate::audit::format_time(t)))
                .unwrap_or_default(),
            a.queued_windows,
            a.requests_total,
            a.last_success_at.as_deref().unwrap_or("never"),
            a.last_error.as_deref().unwrap_or("none"),
        );
        if let Some(reason) = &a.credential_invalid {
            println!("  stopped: the key was refused ({reason}); rotate it with `tallyvault creds rotate`");
        }
        if let Some(b) = balances.get(&a.id) {
            print_balance(b);
        }
    }
    for q in &queue {
        println!(
            "  queued: account {} {} [{} .. {}) attempts {} next try {}: {}",
            q.account_id,
            q.endpoint,
            date_of(q.window_start),
            date_of(q.window_end),
            q.attempts,
            chrono::DateTime::from_timestamp_millis(q.next_try_ms)
                .map(crate::audit::format_time)
                .unwrap_or_default(),
            q.last_error
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_balance(b: &crate::providers::Balance) {
    let dollars =
        |m: Option<crate::money::Money>| m.map(|m| format!("${}", m.dollars().round_dp(2)));
    let mut parts = Vec::new();
    if let (Some(left), Some(total)) = (dollars(b.credits_remaining()), dollars(b.credits_total)) {
        parts.push(format!("credits {left} left of {total}"));
    }
    match (dollars(b.key_limit_remaining), dollars(b.key_limit)) {
        (Some(left), Some(limit)) => parts.push(format!(
            "key limit {left} left of {limit}{}",
            b.key_limit_reset
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )),
        _ if b.key_usage.is_some() => parts.push("key without a limit".into()),
        _ => {}
    }
    if let Some(month) = dollars(b.key_usage_monthly) {
        parts.push(format!("key used {month} this month"));
    }
    println!("  balance at {}: {}", b.fetched_at, parts.join(", "));
    for note in &b.notes {
        println!("  balance note: {note}");
    }
}

fn date_of(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub fn poll(ctx: &Context, args: PollArgs) -> Result<ExitCode> {
    let store = ctx.store()?;
    let since = match &args.since {
        Some(text) => Some(
            parse_date(text)?
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .ok_or_else(|| Error::InvalidInput("bad date".into()))?,
        ),
        None => None,
    };
    if args.watch {
        return watch(ctx, &store, args.provider.as_deref(), args.json);
    }
    let plan = move |_: &Account| since.map_or(Plan::Scheduled, Plan::Since);
    let reports = run_polls(ctx, &store, args.provider.as_deref(), plan)?;
    if reports.iter().any(|r| r.windows_ok > 0) {
        super::budget_cmds::after_ingest(&store)?;
    }
    print_reports(&reports, args.json)
}

fn selected(store: &Store, provider: Option<&str>) -> Result<Vec<Account>> {
    let list: Vec<Account> = accounts::list(store)?
        .into_iter()
        .filter(|a| provider.is_none_or(|p| a.provider.eq_ignore_ascii_case(p)))
        .collect();
    if list.is_empty() {
        return Err(Error::NotFound(
            "no provider account: add one with `tallyvault providers add`".into(),
        ));
    }
    Ok(list)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(Error::io("cannot start the poll runtime"))
}

/// Unlocks the vault, polls each account once, locks.
fn run_polls(
    ctx: &Context,
    store: &Store,
    provider: Option<&str>,
    plan: impl Fn(&Account) -> Plan,
) -> Result<Vec<PollReport>> {
    let list = selected(store, provider)?;
    let vault = ctx.unlock()?;
    let result = runtime().and_then(|rt| {
        rt.block_on(async {
            let poller = run::network_poller(store)?;
            run::poll_accounts(&vault, &poller, &list, plan).await
        })
    });
    let locked = vault.lock();
    let reports = result?;
    locked?;
    Ok(reports)
}

/// Polls every account on its own jittered interval, forever; the vault stays unlocked while this runs and
/// each run reads its key once.
fn watch(ctx: &Context, store: &Store, provider: Option<&str>, json: bool) -> Result<ExitCode> {
    let vault = ctx.unlock()?;
    let runtime = runtime()?;
    let result: Result<ExitCode> = runtime.block_on(async {
        let poller = run::network_poller(store)?;
        let mut next: std::collections::HashMap<i64, tokio::time::Instant> =
            std::collections::HashMap::new();
        loop {
            let list = selected(store, provider)?;
            let now = tokio::time::Instant::now();
            let mut keys = run::RunKeys::new();
            for account in &list {
                if next.get(&account.id).is_some_and(|at| *at > now) {
                    continue;
                }
                let interval = std::time::Duration::from_secs(account.interval_secs.max(60) as u64);
                next.insert(account.id, now + schedule::next_delay(interval));
                let report =
                    run::poll_account(&vault, &poller, &mut keys, account, Plan::Scheduled).await?;
                print_reports(std::slice::from_ref(&report), json)?;
                if report.windows_ok > 0 {
                    super::budget_cmds::after_ingest(store)?;
                }
            }
            let wake = next
                .values()
                .min()
                .copied()
                .unwrap_or_else(|| now + std::time::Duration::from_secs(60));
            tokio::time::sleep_until(wake).await;
        }
    });
    let locked = vault.lock();
    let code = result?;
    locked?;
    Ok(code)
}

fn print_reports(reports: &[PollReport], json: bool) -> Result<ExitCode> {
    if json {
        print_json(&reports)?;
    } else {
        for r in reports {
            println!(
                "{} {}: {} windows ok, {} failed, {} usage rows, {} cost rows, {} requests{}",
                r.provider,
                r.account_id,
                r.windows_ok,
                r.windows_failed,
                r.usage_rows,
                r.cost_rows,
                r.requests,
                r.stopped
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default()
            );
        }
    }
    let failed = reports
        .iter()
        .any(|r| r.windows_failed > 0 || r.stopped.is_some());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn dollars(m: crate::money::Money) -> String {
    format!("${:.4}", m.dollars())
}

pub fn reconcile_cmd(store: &Store, args: ReconcileArgs) -> Result<ExitCode> {
    for date in [&args.since, &args.until].into_iter().flatten() {
        parse_date(date)?;
    }
    let lines: Vec<_> = reconcile::reconcile(
        store,
        args.since.as_deref(),
        args.until.as_deref(),
        args.provider.as_deref(),
    )?
    .into_iter()
    .filter(|l| args.breakdown || l.model.is_none())
    .collect();
    if args.json {
        print_json(&serde_json::json!({"reconcile": lines}))?;
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<10}  {:<10}  {:<28}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}",
        "date", "provider", "model", "billed", "usage×price", "local", "bill−usage", "bill−local"
    );
    let dash = || "-".to_string();
    for l in &lines {
        println!(
            "{:<10}  {:<10}  {:<28}  {:>12}  {:>12}  {:>12}  {:>12}  {:>12}{}",
            l.date,
            l.provider,
            l.model
                .as_deref()
                .map_or("(all)".to_string(), |m| format!("  {m}")),
            l.billed.map_or_else(dash, dollars),
            dollars(l.usage_priced),
            dollars(l.local_estimate),
            l.billed_minus_usage.map_or_else(dash, dollars),
            l.billed_minus_local.map_or_else(dash, dollars),
            if l.usage_unpriced_tokens > 0 {
                format!("  ({} unpriced tokens)", l.usage_unpriced_tokens)
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("15m").ok(), Some(900));
        assert_eq!(parse_interval("90s").ok(), Some(90));
        assert_eq!(parse_interval("1h").ok(), Some(3600));
        assert_eq!(parse_interval("600").ok(), Some(600));
        assert!(parse_interval("soon").is_err());
    }
}
