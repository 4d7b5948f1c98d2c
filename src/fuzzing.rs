//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz), one per parser of outside data, and for the
//! test that replays their corpora (`tests/it/fuzz_corpus.rs`). Not an API: hidden from the docs and unused by
//! the app. Each function must return normally on any input; a panic (including a broken invariant asserted
//! here) is a bug.

use std::sync::OnceLock;

use crate::crypto::{self, Key};
use crate::pricing::PriceTable;
use crate::providers::{self, PROVIDERS};
use crate::sources::{self, csv_import, SourceKind};
use crate::usage::{UsageRecord, MAX_COUNT};
use crate::vault::envfile;

fn prices() -> &'static PriceTable {
    static PRICES: OnceLock<PriceTable> = OnceLock::new();
    PRICES.get_or_init(|| match PriceTable::bundled() {
        Ok(table) => table,
        Err(e) => panic!("the bundled price table must load: {e}"),
    })
}

/// What every record from outside data must satisfy before it reaches the store and its sums.
fn check_record(r: &UsageRecord) {
    let t = &r.tokens;
    for count in [
        t.input,
        t.cache_write_5m,
        t.cache_write_1h,
        t.cache_read,
        t.output,
        t.reasoning,
    ] {
        assert!(
            count <= MAX_COUNT,
            "a token count above the bound was accepted"
        );
    }
    assert!(
        (0..=MAX_COUNT as i64).contains(&r.requests),
        "a request count out of bounds was accepted"
    );
    assert!(
        r.cost.is_none_or(|c| c.nanos() >= 0),
        "a negative cost was accepted"
    );
    // what the store and the reports compute from a record
    let _ = t.total();
    let _ = r.ts_ms.div_euclid(3_600_000);
}

/// One Claude Code session file (`*.jsonl`), read as a first scan reads it.
pub fn claude_log(data: &[u8]) -> usize {
    let (records, _) = sources::parse_file_bytes(SourceKind::ClaudeCode, data, prices());
    records.iter().for_each(check_record);
    records.len()
}

/// One Codex CLI session file, read as a first scan reads it.
pub fn codex_log(data: &[u8]) -> usize {
    let (records, _) = sources::parse_file_bytes(SourceKind::Codex, data, prices());
    records.iter().for_each(check_record);
    records.len()
}

/// A CSV usage export, with the default column names; the first line of a `--map` may precede it after a
/// `\0`.
pub fn csv_file(data: &[u8]) -> usize {
    let (mapping, body) = match data.iter().position(|b| *b == 0) {
        Some(nul) => {
            let text = String::from_utf8_lossy(&data[..nul]);
            match csv_import::Mapping::parse(&text) {
                Ok(mapping) => (mapping, &data[nul + 1..]),
                Err(_) => return 0,
            }
        }
        None => (csv_import::Mapping::default(), data),
    };
    match csv_import::read_from(body, "fuzz", prices(), &mapping) {
        Ok(Ok(records)) => {
            records.iter().for_each(check_record);
            records.len()
        }
        Ok(Err(problems)) => {
            assert!(!problems.is_empty(), "a refused file names its problems");
            0
        }
        Err(_) => 0,
    }
}

/// The reasons `envfile::parse` gives, after an optional `NAME: ` prefix: fixed texts, so no part of a line's
/// value can ever be in one.
const ENV_REASONS: [&str; 5] = [
    "not a NAME=value line",
    "the variable name is not valid",
    "unterminated double quote",
    "unterminated single quote",
    "unexpected text after the closing quote",
];

/// A `.env` file (read as UTF-8 text, as `creds import-env` does). A reported problem never quotes a value:
/// its reason is a fixed text, prefixed at most by the variable's name.
pub fn env_file(data: &[u8]) -> usize {
    let Ok(text) = std::str::from_utf8(data) else {
        return 0;
    };
    let (entries, problems) = envfile::parse(text);
    for problem in &problems {
        assert!(problem.line >= 1, "lines are numbered from 1");
        let reason = match problem.reason.split_once(": ") {
            Some((name, rest))
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
            {
                rest
            }
            _ => problem.reason.as_str(),
        };
        assert!(
            ENV_REASONS.contains(&reason),
            "a problem's reason is one of the fixed texts"
        );
    }
    entries.len()
}

/// Every (provider, endpoint) pair the pollers parse.
fn endpoints() -> Vec<(&'static dyn providers::ProviderApi, providers::Endpoint)> {
    PROVIDERS
        .iter()
        .filter_map(|name| providers::api(name))
        .flat_map(|api| api.endpoints().iter().map(move |e| (api, *e)))
        .collect()
}

/// A provider's response body; the first byte picks the provider and endpoint.
pub fn provider_response(data: &[u8]) -> usize {
    let Some((&pick, body)) = data.split_first() else {
        return 0;
    };
    let all = endpoints();
    let (api, endpoint) = all[usize::from(pick) % all.len()];
    if let Some(message) = providers::error_message(body) {
        assert!(message.chars().count() <= 300, "error messages are bounded");
    }
    match api.parse(&endpoint, body) {
        Ok(page) => {
            for row in &page.usage {
                // rows the poller keeps must pass its own bound check; the rest fail their window
                let _ = providers::check_counts(row);
            }
            page.usage.len() + page.costs.len()
        }
        Err(message) => {
            assert!(!message.is_empty(), "a refused page says why");
            0
        }
    }
}

/// A stored field blob, and the audit anchor file, read with a fixed key: never a panic, never a forged
/// success.
pub fn stored_blob(data: &[u8]) -> bool {
    let key = Key::from_bytes([7u8; 32]);
    let aad = crypto::field_aad("credentials", "secret", 1);
    let opened = crypto::open(&key, &aad, data).is_ok();
    if let Ok(anchor) = crate::audit::Anchor::parse(data) {
        let _ = anchor.is_authentic(&key);
    }
    opened
}

#[cfg(feature = "test-kdf")]
static SCRATCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A fresh directory under the system's temp dir, removed on drop.
#[cfg(feature = "test-kdf")]
struct Scratch(std::path::PathBuf);

#[cfg(feature = "test-kdf")]
impl Scratch {
    fn new() -> Scratch {
        let n = SCRATCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tallyvault-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create a scratch dir: {e}");
        }
        Scratch(dir)
    }
}

#[cfg(feature = "test-kdf")]
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(feature = "test-kdf")]
mod backup {
    use std::sync::Arc;

    use super::Scratch;
    use crate::clock::SystemClock;
    use crate::crypto::{KdfPolicy, SecretString};
    use crate::vault::Vault;

    pub const PASSWORD: &str = "fuzz";

    pub fn policy() -> KdfPolicy {
        KdfPolicy::insecure_for_tests(1)
    }

    /// A backup file's bytes restored into an empty data directory with [`PASSWORD`]. Returns whether the
    /// restore succeeded (the fuzzer cannot forge the seal, so only real backups do).
    pub fn backup_file(data: &[u8]) -> bool {
        let scratch = Scratch::new();
        let file = scratch.0.join("in.tvb");
        if std::fs::write(&file, data).is_err() {
            return false;
        }
        restore(&scratch, &file).is_ok()
    }

    /// Restores `file` into a fresh data directory inside `scratch`.
    fn restore(scratch: &Scratch, file: &std::path::Path) -> crate::Result<Vault> {
        Vault::import_backup(
            &scratch.0.join("data"),
            file,
            &SecretString::new(PASSWORD.into()),
            &policy(),
            Arc::new(SystemClock),
        )
    }

    /// A database snapshot sealed into a well-formed backup with [`PASSWORD`], then restored: what a person
    /// who knows the password could hand someone, and what restoring a damaged database meets.
    pub fn backup_snapshot(snapshot: &[u8]) -> bool {
        let scratch = Scratch::new();
        let file = scratch.0.join("in.tvb");
        let sealed = Vault::seal_backup_bytes(snapshot, &SecretString::new(PASSWORD.into()), 1);
        if std::fs::write(&file, sealed).is_err() {
            return false;
        }
        match restore(&scratch, &file) {
            Ok(vault) => {
                let report = vault.verify_audit();
                assert!(
                    report.is_ok_and(|r| r.is_ok()),
                    "a restored vault verifies (the restore checks it)"
                );
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(feature = "test-kdf")]
pub use backup::{backup_file, backup_snapshot, PASSWORD as BACKUP_PASSWORD};
