//! Every type that crosses the IPC boundary, and only those. The TypeScript bindings in
//! `ui/src/bindings/index.ts` are generated from this module (see `bindings.rs`); a test fails when they are stale.
//!
//! Only [`RevealedSecret`] ever holds a secret on the way out, and only the audited `reveal_secret` command
//! returns it. Types that carry a secret in (a pasted key, a password) are never `Debug`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroize;

mod spend;
pub use spend::*;

/// What the UI acts on when a command fails. Mirrors [`tallyvault::ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Locked,
    WrongPassword,
    NotFound,
    InvalidInput,
    ProviderUnavailable,
    Internal,
}

impl From<tallyvault::ErrorCode> for ErrorCode {
    fn from(code: tallyvault::ErrorCode) -> Self {
        match code {
            tallyvault::ErrorCode::Locked => ErrorCode::Locked,
            tallyvault::ErrorCode::WrongPassword => ErrorCode::WrongPassword,
            tallyvault::ErrorCode::NotFound => ErrorCode::NotFound,
            tallyvault::ErrorCode::InvalidInput => ErrorCode::InvalidInput,
            tallyvault::ErrorCode::ProviderUnavailable => ErrorCode::ProviderUnavailable,
            tallyvault::ErrorCode::Internal => ErrorCode::Internal,
        }
    }
}

/// A failed command, as the UI receives it: `{ code, message }`. Messages come from the core, which never
/// puts a secret in one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<tallyvault::Error> for CommandError {
    fn from(error: tallyvault::Error) -> Self {
        CommandError {
            code: error.code().into(),
            message: error.to_string(),
        }
    }
}

impl CommandError {
    pub fn invalid_input(message: impl Into<String>) -> Self {
        CommandError {
            code: ErrorCode::InvalidInput,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        CommandError {
            code: ErrorCode::Internal,
            message: message.into(),
        }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;

/// Where the app stands: is there a vault yet, and is it open.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VaultStatus {
    pub exists: bool,
    pub unlocked: bool,
    pub data_dir: String,
}

/// What the user must hear after unlocking.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UnlockOutcome {
    /// Times (RFC 3339, UTC) of failed attempts since the last successful unlock.
    pub failed_attempts: Vec<String>,
    pub integrity_warning: Option<String>,
}

impl From<tallyvault::vault::UnlockReport> for UnlockOutcome {
    fn from(report: tallyvault::vault::UnlockReport) -> Self {
        UnlockOutcome {
            failed_attempts: report.failed_attempts,
            integrity_warning: report.integrity_warning,
        }
    }
}

/// A credential's metadata. Never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    pub id: i64,
    pub provider: String,
    pub label: String,
    pub has_note: bool,
    pub expires_at: Option<String>,
    pub created_at: String,
    pub rotated_at: Option<String>,
    pub last_used_at: Option<String>,
    pub invalid_reason: Option<String>,
}

impl From<tallyvault::vault::CredentialMeta> for Credential {
    fn from(meta: tallyvault::vault::CredentialMeta) -> Self {
        Credential {
            id: meta.id,
            provider: meta.provider,
            label: meta.label,
            has_note: meta.has_note,
            expires_at: meta.expires_at,
            created_at: meta.created_at,
            rotated_at: meta.rotated_at,
            last_used_at: meta.last_used_at,
            invalid_reason: meta.invalid_reason,
        }
    }
}

/// A credential to add. Holds the pasted secret, so it is not `Debug` and wipes itself when dropped.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewCredentialInput {
    pub label: String,
    /// `None`: detect the provider from the key.
    pub provider: Option<String>,
    pub secret: String,
    pub note: Option<String>,
    /// `YYYY-MM-DD`.
    pub expires_at: Option<String>,
}

impl Drop for NewCredentialInput {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// A secret on its way to the screen, after the audited `reveal_secret`. Wiped when dropped.
#[derive(Serialize, TS)]
pub struct RevealedSecret {
    pub value: String,
}

impl std::fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedSecret(<redacted>)")
    }
}

impl Drop for RevealedSecret {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

/// A secret was put on the clipboard; it is cleared after `clearAfterSeconds` if still there.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CopyOutcome {
    pub clear_after_seconds: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportedCredential {
    pub line: u32,
    pub variable: String,
    pub id: i64,
    pub label: String,
    pub provider: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SkippedLine {
    pub line: u32,
    pub variable: Option<String>,
    pub reason: String,
}

/// The outcome of a `.env` import: names and reasons, never a value.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcome {
    pub imported: Vec<ImportedCredential>,
    pub skipped: Vec<SkippedLine>,
}

fn line_number(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

impl From<tallyvault::vault::ImportReport> for ImportOutcome {
    fn from(report: tallyvault::vault::ImportReport) -> Self {
        ImportOutcome {
            imported: report
                .imported
                .into_iter()
                .map(|k| ImportedCredential {
                    line: line_number(k.line),
                    variable: k.variable,
                    id: k.id,
                    label: k.label,
                    provider: k.provider,
                })
                .collect(),
            skipped: report
                .skipped
                .into_iter()
                .map(|s| SkippedLine {
                    line: line_number(s.line),
                    variable: s.variable,
                    reason: s.reason,
                })
                .collect(),
        }
    }
}

/// One page of the audit log, newest first. All fields optional; times are RFC 3339.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(optional_fields = nullable)]
pub struct AuditQuery {
    pub since: Option<String>,
    /// Exclusive.
    pub until: Option<String>,
    pub action: Option<String>,
    pub credential_id: Option<i64>,
    /// Continue from a previous page's `nextBeforeSeq`.
    pub before_seq: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub seq: i64,
    pub at: String,
    pub action: String,
    pub credential_id: Option<i64>,
    /// The event's decrypted details (labels, providers, counts; never a secret).
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
}

impl From<tallyvault::audit::Event> for AuditEvent {
    fn from(event: tallyvault::audit::Event) -> Self {
        AuditEvent {
            seq: event.seq,
            at: event.at,
            action: event.action,
            credential_id: event.credential_id,
            details: event.details,
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `beforeSeq` for the next (older) page; `null` when this is the last one.
    pub next_before_seq: Option<i64>,
}

/// The result of checking the whole audit chain and its anchor.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditVerification {
    pub ok: bool,
    pub events: i64,
    /// What is wrong, in words, when `ok` is false.
    pub problem: Option<String>,
}

impl From<tallyvault::audit::VerifyReport> for AuditVerification {
    fn from(report: tallyvault::audit::VerifyReport) -> Self {
        AuditVerification {
            ok: report.is_ok(),
            events: report.events,
            problem: report.problem.map(|p| p.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub auto_lock_minutes: u32,
    /// A backup file name in the user's home directory, to prefill the export form.
    pub suggested_backup_path: String,
}

/// Emitted as `vault-locked` when the shell locks the vault on its own (idle).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VaultLockedEvent {
    pub reason: String,
}
