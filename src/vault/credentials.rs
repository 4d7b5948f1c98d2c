//! Credentials: provider keys kept as AES-256-GCM field blobs bound to their row and column. Listing reads
//! metadata only; every read of a secret goes through an audited method.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::json;

use super::envfile;
use super::{action, Provider, Vault};
use crate::audit;
use crate::crypto::{self, Key, SecretString};
use crate::error::{Error, Result};
use crate::store::Store;

/// Largest secret accepted (keys are tiny; this bounds memory and the database).
pub const MAX_SECRET_BYTES: usize = 4 * 1024 * 1024;
const MAX_LABEL_CHARS: usize = 200;
const MAX_NOTE_BYTES: usize = 64 * 1024;

/// A new credential. The secret moves in and is zeroized when dropped.
#[derive(Debug)]
pub struct NewCredential {
    /// `None`: detect from the key's prefix.
    pub provider: Option<Provider>,
    pub label: String,
    pub secret: SecretString,
    pub note: Option<String>,
    pub expires_at: Option<String>,
}

/// What may be shown about a credential. Never holds the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialMeta {
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

/// How a user names a credential: its id or its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRef {
    Id(i64),
    Label(String),
}

impl CredentialRef {
    /// A number is an id when a credential has that id; anything else is a label.
    pub fn parse(text: &str) -> CredentialRef {
        match text.parse::<i64>() {
            Ok(id) => CredentialRef::Id(id),
            Err(_) => CredentialRef::Label(text.to_string()),
        }
    }
}

impl std::fmt::Display for CredentialRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialRef::Id(id) => write!(f, "credential {id}"),
            CredentialRef::Label(label) => write!(f, "credential {label:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportedKey {
    pub line: usize,
    pub variable: String,
    pub id: i64,
    pub label: String,
    pub provider: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedKey {
    pub line: usize,
    pub variable: Option<String>,
    pub reason: String,
}

/// The outcome of a `.env` import. Names and reasons only, never a value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub imported: Vec<ImportedKey>,
    pub skipped: Vec<SkippedKey>,
}

const META_COLUMNS: &str =
    "id, provider, label, note IS NOT NULL, expires_at, created_at, rotated_at, last_used_at, invalid_reason";

fn meta_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CredentialMeta> {
    Ok(CredentialMeta {
        id: r.get(0)?,
        provider: r.get(1)?,
        label: r.get(2)?,
        has_note: r.get(3)?,
        expires_at: r.get(4)?,
        created_at: r.get(5)?,
        rotated_at: r.get(6)?,
        last_used_at: r.get(7)?,
        invalid_reason: r.get(8)?,
    })
}

/// Lists credentials' metadata; needs no key.
pub fn list(store: &Store) -> Result<Vec<CredentialMeta>> {
    store.read(|tx| {
        let mut stmt = tx.prepare(&format!(
            "SELECT {META_COLUMNS} FROM credentials ORDER BY label"
        ))?;
        let rows = stmt.query_map([], meta_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })
}

/// Finds one credential's metadata.
pub fn find(tx: &Transaction<'_>, reference: &CredentialRef) -> Result<CredentialMeta> {
    let by_id = |id: i64| {
        tx.query_row(
            &format!("SELECT {META_COLUMNS} FROM credentials WHERE id = ?1"),
            [id],
            meta_from_row,
        )
        .optional()
    };
    let by_label = |label: &str| {
        tx.query_row(
            &format!("SELECT {META_COLUMNS} FROM credentials WHERE label = ?1"),
            [label],
            meta_from_row,
        )
        .optional()
    };
    let found = match reference {
        CredentialRef::Id(id) => match by_id(*id)? {
            Some(meta) => Some(meta),
            None => by_label(&id.to_string())?,
        },
        CredentialRef::Label(label) => by_label(label)?,
    };
    found.ok_or_else(|| Error::NotFound(reference.to_string()))
}

fn seal_field(key: &Key, column: &str, id: i64, plaintext: &[u8]) -> Vec<u8> {
    crypto::seal(
        key,
        &crypto::field_aad("credentials", column, id),
        plaintext,
    )
}

fn open_field(key: &Key, column: &str, id: i64, blob: &[u8]) -> Result<crypto::SecretBytes> {
    crypto::open(key, &crypto::field_aad("credentials", column, id), blob)
}

fn validate_label(label: &str) -> Result<String> {
    let label = label.trim();
    if label.is_empty() {
        return Err(Error::InvalidInput("a label must not be empty".into()));
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(Error::InvalidInput(format!(
            "a label must have at most {MAX_LABEL_CHARS} characters"
        )));
    }
    if label.chars().any(char::is_control) {
        return Err(Error::InvalidInput(
            "a label must not contain control characters".into(),
        ));
    }
    Ok(label.to_string())
}

fn validate_secret(secret: &SecretString) -> Result<()> {
    let trimmed = secret.expose().trim();
    if trimmed.is_empty() {
        return Err(Error::InvalidInput("the secret is empty".into()));
    }
    if secret.expose().len() > MAX_SECRET_BYTES {
        return Err(Error::InvalidInput(format!(
            "the secret is larger than {MAX_SECRET_BYTES} bytes"
        )));
    }
    Ok(())
}

fn label_taken(tx: &Transaction<'_>, label: &str) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM credentials WHERE label = ?1",
            [label],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn insert(
    tx: &Transaction<'_>,
    key: &Key,
    provider: Provider,
    label: &str,
    new: &NewCredential,
    now: &str,
) -> Result<i64> {
    if label_taken(tx, label)? {
        return Err(Error::InvalidInput(format!(
            "a credential labelled {label:?} already exists"
        )));
    }
    // Insert first to learn the row id the blobs are bound to (AUTOINCREMENT never reuses one).
    tx.execute(
        "INSERT INTO credentials (provider, label, secret, expires_at, created_at) VALUES (?1, ?2, x'', ?3, ?4)",
        params![provider.as_str(), label, new.expires_at, now],
    )?;
    let id = tx.last_insert_rowid();
    let secret = seal_field(key, "secret", id, new.secret.expose().trim().as_bytes());
    let note = new
        .note
        .as_deref()
        .map(|n| seal_field(key, "note", id, n.as_bytes()));
    tx.execute(
        "UPDATE credentials SET secret = ?2, note = ?3 WHERE id = ?1",
        params![id, secret, note],
    )?;
    Ok(id)
}

/// Re-encrypts every credential field from `old` to `new` (data-key rotation).
pub(super) fn reencrypt_all(tx: &Transaction<'_>, old: &Key, new: &Key) -> Result<usize> {
    let rows: Vec<(i64, Vec<u8>, Option<Vec<u8>>)> = {
        let mut stmt = tx.prepare("SELECT id, secret, note FROM credentials")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut update = tx.prepare("UPDATE credentials SET secret = ?2, note = ?3 WHERE id = ?1")?;
    for (id, secret, note) in &rows {
        let secret = seal_field(
            new,
            "secret",
            *id,
            open_field(old, "secret", *id, secret)?.expose(),
        );
        let note = match note {
            Some(blob) => Some(seal_field(
                new,
                "note",
                *id,
                open_field(old, "note", *id, blob)?.expose(),
            )),
            None => None,
        };
        update.execute(params![id, secret, note])?;
    }
    Ok(rows.len())
}

/// Why a secret is being read; each is its own audit action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Shown to the user.
    Reveal,
    /// Put on the clipboard.
    Copy,
    /// Used by Tallyvault itself, e.g. to poll a provider.
    Use,
}

impl Vault {
    /// Adds a credential; the provider is detected from the key when not given.
    pub fn add_credential(&self, new: NewCredential) -> Result<CredentialMeta> {
        validate_secret(&new.secret)?;
        let label = validate_label(&new.label)?;
        if new.note.as_ref().is_some_and(|n| n.len() > MAX_NOTE_BYTES) {
            return Err(Error::InvalidInput(format!(
                "a note must be at most {MAX_NOTE_BYTES} bytes"
            )));
        }
        if let Some(expires) = &new.expires_at {
            if chrono::NaiveDate::parse_from_str(expires, "%Y-%m-%d").is_err() {
                return Err(Error::InvalidInput(
                    "an expiry date must be YYYY-MM-DD".into(),
                ));
            }
        }
        let provider = match new
            .provider
            .or_else(|| Provider::from_key(new.secret.expose()))
        {
            Some(p) => p,
            None => {
                return Err(Error::InvalidInput(
                    "the provider cannot be told from this key; name it with --provider".into(),
                ))
            }
        };
        let now = audit::format_time(self.clock.now());
        self.audited_with(|tx, keys| {
            let id = insert(tx, &keys.field, provider, &label, &new, &now)?;
            let meta = find(tx, &CredentialRef::Id(id))?;
            let details = json!({"label": label, "provider": provider.as_str()});
            Ok((meta, action::CREDENTIAL_ADD.to_string(), Some(id), details))
        })
    }

    /// Decrypts a credential's secret for `purpose`, records the access and the last-used time.
    pub fn read_secret(&self, reference: &CredentialRef, purpose: Purpose) -> Result<SecretString> {
        let now = audit::format_time(self.clock.now());
        self.audited_with(|tx, keys| {
            let meta = find(tx, reference)?;
            let blob: Vec<u8> = tx.query_row(
                "SELECT secret FROM credentials WHERE id = ?1",
                [meta.id],
                |r| r.get(0),
            )?;
            let secret = open_field(&keys.field, "secret", meta.id, &blob)?
                .into_string()
                .ok_or_else(|| Error::Integrity(format!("{reference} does not hold text")))?;
            tx.execute(
                "UPDATE credentials SET last_used_at = ?2 WHERE id = ?1",
                params![meta.id, now],
            )?;
            let action = match purpose {
                Purpose::Reveal => action::CREDENTIAL_REVEAL,
                Purpose::Copy => action::CREDENTIAL_COPY,
                Purpose::Use => action::CREDENTIAL_USE,
            };
            let details = json!({"label": meta.label, "provider": meta.provider});
            Ok((secret, action.to_string(), Some(meta.id), details))
        })
    }

    /// Reads a credential's note.
    pub fn read_note(&self, reference: &CredentialRef) -> Result<Option<String>> {
        self.with_keys(|keys| {
            self.store.read(|tx| {
                let meta = find(tx, reference)?;
                let blob: Option<Vec<u8>> = tx.query_row(
                    "SELECT note FROM credentials WHERE id = ?1",
                    [meta.id],
                    |r| r.get(0),
                )?;
                blob.map(|b| {
                    let plain = open_field(&keys.field, "note", meta.id, &b)?;
                    String::from_utf8(plain.expose().to_vec())
                        .map_err(|_| Error::Integrity(format!("{reference}: its note is not text")))
                })
                .transpose()
            })
        })
    }

    /// Replaces a credential's secret, keeping its history in `rotated_at` and the audit log.
    pub fn rotate_secret(
        &self,
        reference: &CredentialRef,
        secret: SecretString,
    ) -> Result<CredentialMeta> {
        validate_secret(&secret)?;
        let now = audit::format_time(self.clock.now());
        self.audited_with(|tx, keys| {
            let meta = find(tx, reference)?;
            let blob = seal_field(&keys.field, "secret", meta.id, secret.expose().trim().as_bytes());
            tx.execute(
                "UPDATE credentials SET secret = ?2, rotated_at = ?3, invalid_reason = NULL WHERE id = ?1",
                params![meta.id, blob, now],
            )?;
            let updated = find(tx, &CredentialRef::Id(meta.id))?;
            let details = json!({"label": meta.label, "provider": meta.provider});
            Ok((updated, action::CREDENTIAL_ROTATE.to_string(), Some(meta.id), details))
        })
    }

    /// Deletes a credential.
    pub fn delete_credential(&self, reference: &CredentialRef) -> Result<CredentialMeta> {
        self.audited_with(|tx, _| {
            let meta = find(tx, reference)?;
            tx.execute("DELETE FROM credentials WHERE id = ?1", [meta.id])?;
            let details = json!({"label": meta.label, "provider": meta.provider});
            let id = meta.id;
            Ok((
                meta,
                action::CREDENTIAL_DELETE.to_string(),
                Some(id),
                details,
            ))
        })
    }

    /// Imports provider keys from the text of a `.env` file, in one transaction with one audit event.
    pub fn import_env(&self, text: &str) -> Result<ImportReport> {
        let (entries, problems) = envfile::parse(text);
        let mut report = ImportReport::default();
        for p in problems {
            report.skipped.push(SkippedKey {
                line: p.line,
                variable: None,
                reason: p.reason,
            });
        }
        let now = audit::format_time(self.clock.now());
        let report = self.audited_with(|tx, keys| {
            for entry in entries {
                let skip = |reason: &str| SkippedKey {
                    line: entry.line,
                    variable: Some(entry.name.clone()),
                    reason: reason.to_string(),
                };
                let value = entry.value.expose().trim();
                let by_key = Provider::from_key(value);
                let by_name = Provider::from_variable(&entry.name);
                let looks_secret = ["KEY", "TOKEN", "SECRET"]
                    .iter()
                    .any(|w| entry.name.to_ascii_uppercase().contains(w));
                if value.is_empty() {
                    report.skipped.push(skip("empty value"));
                    continue;
                }
                if value.len() > MAX_SECRET_BYTES {
                    report.skipped.push(skip("value too large"));
                    continue;
                }
                let provider = match (by_key, by_name) {
                    (Some(p), _) => p,
                    (None, Some(p)) if looks_secret => p,
                    _ => {
                        report.skipped.push(skip("not a recognised provider key"));
                        continue;
                    }
                };
                if label_taken(tx, &entry.name)? {
                    report
                        .skipped
                        .push(skip("a credential with this label already exists"));
                    continue;
                }
                let new = NewCredential {
                    provider: Some(provider),
                    label: entry.name.clone(),
                    secret: SecretString::new(value.to_string()),
                    note: None,
                    expires_at: None,
                };
                let id = insert(tx, &keys.field, provider, &entry.name, &new, &now)?;
                report.imported.push(ImportedKey {
                    line: entry.line,
                    variable: entry.name.clone(),
                    id,
                    label: entry.name.clone(),
                    provider: provider.as_str().to_string(),
                });
            }
            report.skipped.sort_by_key(|s| s.line);
            let details = json!({
                "imported": report.imported.iter().map(|i| &i.label).collect::<Vec<_>>(),
                "skipped": report.skipped.len(),
            });
            Ok((report, action::CREDENTIAL_IMPORT.to_string(), None, details))
        })?;
        Ok(report)
    }
}
