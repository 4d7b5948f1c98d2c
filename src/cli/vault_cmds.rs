//! Commands that need the vault: init, passwd, vault, creds, audit, settings.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::{password, print_json};
use crate::audit::Filter;
use crate::clock::SystemClock;
use crate::crypto::SecretString;
use crate::error::{Error, Result};
use crate::store::{Store, DB_FILE};
use crate::vault::{self, CredentialRef, NewCredential, Provider, Purpose, Vault};

pub struct Context {
    pub data_dir: PathBuf,
    pub password_file: Option<PathBuf>,
}

impl Context {
    pub fn store(&self) -> Result<Store> {
        Store::open_with(&self.data_dir, crate::store::Pooling::OnDemand)
    }

    fn password(&self) -> Result<SecretString> {
        password::current(self.password_file.as_deref())
    }

    /// Opens and unlocks the vault, telling the user about failed attempts and integrity warnings.
    pub(super) fn unlock(&self) -> Result<Vault> {
        let store = self.store()?;
        if !vault::exists(&store)? {
            return Err(Error::NoVault(self.data_dir.clone()));
        }
        let password = self.password()?;
        let (vault, report) = Vault::unlock(
            &self.data_dir,
            store,
            &password,
            &password::kdf_policy(),
            Arc::new(SystemClock),
        )?;
        if !report.failed_attempts.is_empty() {
            eprintln!(
                "warning: {} failed unlock attempt(s) since the last unlock: {}",
                report.failed_attempts.len(),
                report.failed_attempts.join(", ")
            );
        }
        if let Some(warning) = &report.integrity_warning {
            eprintln!("warning: {warning}");
        }
        Ok(vault)
    }
}

/// Runs `f` on the unlocked vault, then locks it whatever `f` returned.
pub(super) fn with_vault<T>(ctx: &Context, f: impl FnOnce(&Vault) -> Result<T>) -> Result<T> {
    let vault = ctx.unlock()?;
    let result = f(&vault);
    let locked = vault.lock();
    let value = result?;
    locked?;
    Ok(value)
}

pub fn init(ctx: &Context) -> Result<ExitCode> {
    let store = ctx.store()?;
    if vault::exists(&store)? {
        return Err(Error::VaultExists(ctx.data_dir.clone()));
    }
    let password = match (&ctx.password_file, std::env::var("TALLYVAULT_PASSWORD")) {
        (None, Err(_)) => password::new_password("TALLYVAULT_PASSWORD")?,
        _ => ctx.password()?,
    };
    let vault = Vault::create(
        &ctx.data_dir,
        store,
        &password,
        &password::kdf_policy(),
        Arc::new(SystemClock),
    )?;
    vault.lock()?;
    println!("Created a vault in {}", ctx.data_dir.display());
    println!("There is no way to recover it without this password: keep it safe.");
    Ok(ExitCode::SUCCESS)
}

pub fn passwd(ctx: &Context) -> Result<ExitCode> {
    with_vault(ctx, |vault| {
        let new = password::new_password("TALLYVAULT_NEW_PASSWORD")?;
        vault.change_password(&new, &password::kdf_policy())
    })?;
    println!("Password changed.");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Replace the data key and re-encrypt every secret (and re-seal the audit log).
    RotateKey,
    /// Write an encrypted backup of everything, restorable with the vault's password.
    Export { file: PathBuf },
    /// Restore an encrypted backup into an empty data directory.
    Import { file: PathBuf },
}

pub fn vault(ctx: &Context, cmd: VaultCommand) -> Result<ExitCode> {
    match cmd {
        VaultCommand::RotateKey => {
            let password = ctx.password()?;
            let count = with_vault(ctx, |vault| {
                vault.rotate_data_key(&password, &password::kdf_policy())
            })?;
            println!("Data key rotated; {count} credential(s) re-encrypted.");
        }
        VaultCommand::Export { file } => {
            let password = ctx.password()?;
            with_vault(ctx, |vault| {
                vault.export_backup(&file, &password, &password::kdf_policy())
            })?;
            println!("Backup written to {}", file.display());
        }
        VaultCommand::Import { file } => {
            if ctx.data_dir.join(DB_FILE).exists() {
                return Err(Error::VaultExists(ctx.data_dir.clone()));
            }
            let password = ctx.password()?;
            let vault = Vault::import_backup(
                &ctx.data_dir,
                &file,
                &password,
                &password::kdf_policy(),
                Arc::new(SystemClock),
            )?;
            vault.lock()?;
            println!("Backup restored into {}", ctx.data_dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum CredsCommand {
    /// Add a credential; the secret is read from standard input.
    Add {
        /// openai, anthropic, openrouter, groq, xai, google, deepseek, mistral or other (default: detected)
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        label: String,
        #[arg(long)]
        note: Option<String>,
        /// Expiry date, YYYY-MM-DD.
        #[arg(long)]
        expires: Option<NaiveDate>,
    },
    /// List credentials (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Print a credential's secret (audited).
    Reveal { credential: String },
    /// Replace a credential's secret with one read from standard input (audited).
    Rotate { credential: String },
    /// Delete a credential (audited).
    Rm { credential: String },
    /// Import provider keys from a .env file.
    ImportEnv {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

fn parse_provider(name: &str) -> Result<Provider> {
    Provider::parse(name).ok_or_else(|| {
        let known: Vec<_> = Provider::ALL.iter().map(|p| p.as_str()).collect();
        Error::InvalidInput(format!(
            "unknown provider {name:?} (known: {})",
            known.join(", ")
        ))
    })
}

pub fn creds(ctx: &Context, cmd: CredsCommand) -> Result<ExitCode> {
    match cmd {
        CredsCommand::Add {
            provider,
            label,
            note,
            expires,
        } => {
            let provider = provider.as_deref().map(parse_provider).transpose()?;
            let secret = password::secret_from_stdin("Secret")?;
            let meta = with_vault(ctx, |vault| {
                vault.add_credential(NewCredential {
                    provider,
                    label,
                    secret,
                    note,
                    expires_at: expires.map(|d| d.to_string()),
                })
            })?;
            println!(
                "Added credential {} ({}, {})",
                meta.id, meta.label, meta.provider
            );
        }
        CredsCommand::List { json } => {
            let creds = vault::list_credentials(&ctx.store()?)?;
            if json {
                print_json(&creds)?;
            } else if creds.is_empty() {
                println!("No credentials.");
            } else {
                println!(
                    "{:>4}  {:<12} {:<32} {:<24} {:<24}",
                    "ID", "PROVIDER", "LABEL", "CREATED", "LAST USED"
                );
                for c in creds {
                    println!(
                        "{:>4}  {:<12} {:<32} {:<24} {:<24}{}",
                        c.id,
                        c.provider,
                        c.label,
                        c.created_at,
                        c.last_used_at.as_deref().unwrap_or("never"),
                        c.invalid_reason
                            .map(|r| format!("  INVALID: {r}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        CredsCommand::Reveal { credential } => {
            let reference = CredentialRef::parse(&credential);
            let secret = with_vault(ctx, |vault| vault.read_secret(&reference, Purpose::Reveal))?;
            println!("{}", secret.expose());
        }
        CredsCommand::Rotate { credential } => {
            let reference = CredentialRef::parse(&credential);
            let secret = password::secret_from_stdin("New secret")?;
            let meta = with_vault(ctx, |vault| vault.rotate_secret(&reference, secret))?;
            println!("Rotated credential {} ({})", meta.id, meta.label);
        }
        CredsCommand::Rm { credential } => {
            let reference = CredentialRef::parse(&credential);
            let meta = with_vault(ctx, |vault| vault.delete_credential(&reference))?;
            println!("Deleted credential {} ({})", meta.id, meta.label);
        }
        CredsCommand::ImportEnv { file, json } => {
            let text = std::fs::read(&file)
                .map_err(Error::io(format!("cannot read {}", file.display())))?;
            let text = String::from_utf8(text).map_err(|_| {
                Error::InvalidInput(format!("{} is not UTF-8 text", file.display()))
            })?;
            let report = with_vault(ctx, |vault| vault.import_env(&text))?;
            zeroize::Zeroize::zeroize(&mut { text });
            if json {
                print_json(&report)?;
            } else {
                for i in &report.imported {
                    println!(
                        "imported  line {:>3}  {} as credential {} ({})",
                        i.line, i.variable, i.id, i.provider
                    );
                }
                for s in &report.skipped {
                    println!(
                        "skipped   line {:>3}  {}: {}",
                        s.line,
                        s.variable.as_deref().unwrap_or("-"),
                        s.reason
                    );
                }
                println!(
                    "{} imported, {} skipped",
                    report.imported.len(),
                    report.skipped.len()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List events, newest first.
    List(AuditListArgs),
    /// Verify the chain, its sealed head and the anchor. Exits 0 only when the log verifies.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Re-anchor the log at its current head after a verify failure was examined (audited).
    ResetAnchor {
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct AuditListArgs {
    /// From this time (RFC 3339) or date (YYYY-MM-DD, UTC), inclusive.
    #[arg(long)]
    since: Option<String>,
    /// Until this time or date, exclusive.
    #[arg(long)]
    until: Option<String>,
    /// Only this action, e.g. credential.reveal.
    #[arg(long)]
    action: Option<String>,
    /// Only events about this credential (id or label).
    #[arg(long)]
    credential: Option<String>,
    #[arg(long, default_value_t = 100)]
    limit: u32,
    #[arg(long)]
    json: bool,
}

fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{text:?} is neither an RFC 3339 time nor a YYYY-MM-DD date"
            ))
        })
}

pub fn audit(ctx: &Context, cmd: AuditCommand) -> Result<ExitCode> {
    match cmd {
        AuditCommand::List(args) => {
            let since = args.since.as_deref().map(parse_time).transpose()?;
            let until = args.until.as_deref().map(parse_time).transpose()?;
            let events = with_vault(ctx, |vault| {
                let credential_id = match &args.credential {
                    Some(text) => Some(resolve_credential(vault.store(), text)?),
                    None => None,
                };
                let filter = Filter {
                    since,
                    until,
                    action: args.action.clone(),
                    credential_id,
                    limit: Some(args.limit),
                    before_seq: None,
                };
                vault.audit_events(&filter)
            })?;
            if args.json {
                print_json(&events)?;
            } else {
                for e in events {
                    println!("{:>6}  {}  {:<26} {}", e.seq, e.at, e.action, e.details);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Verify { json } => {
            let report = with_vault(ctx, |vault| vault.verify_audit())?;
            if json {
                print_json(&report)?;
            }
            match &report.problem {
                None => {
                    if !json {
                        println!("OK: {} events verified", report.events);
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Some(problem) => {
                    eprintln!("tallyvault: audit log does NOT verify: {problem}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::ResetAnchor { reason } => {
            with_vault(ctx, |vault| vault.reset_anchor(&reason))?;
            println!("Anchor reset.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The id of a credential named by id or label; deleted credentials are found through the log itself.
fn resolve_credential(store: &Store, text: &str) -> Result<i64> {
    let reference = CredentialRef::parse(text);
    match store.read(|tx| vault::find_credential(tx, &reference)) {
        Ok(meta) => Ok(meta.id),
        Err(Error::NotFound(_)) => match reference {
            CredentialRef::Id(id) => Ok(id),
            CredentialRef::Label(_) => Err(Error::NotFound(reference.to_string())),
        },
        Err(e) => Err(e),
    }
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print a setting.
    Get { key: String },
    /// Change a setting (audited; needs the password).
    Set { key: String, value: String },
}

pub fn settings(ctx: &Context, cmd: SettingsCommand) -> Result<ExitCode> {
    match cmd {
        SettingsCommand::Get { key } => match vault::setting(&ctx.store()?, &key)? {
            Some(value) => println!("{value}"),
            None => return Err(Error::NotFound(format!("setting {key:?}"))),
        },
        SettingsCommand::Set { key, value } => {
            with_vault(ctx, |vault| vault.set_setting(&key, &value))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
