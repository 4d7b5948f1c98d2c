//! The encrypted credential vault.
//!
//! Envelope: master password → PBKDF2-HMAC-SHA256 (parameters stored in `vault_meta`) → key-encryption key,
//! which unwraps a random 256-bit data key. HKDF derives from the data key one sub-key for fields and one for
//! the audit MAC. Every state change and every read of a secret appends an audit event in the same
//! transaction. [`Vault`] is the unlocked handle; [`Vault::lock`] drops (and so zeroizes) all key material.

mod backup;
mod credentials;
mod destinations;
pub mod envfile;
mod provider;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Anchor, AuditKeys, Head};
use crate::clock::Clock;
use crate::crypto::{self, KdfParams, KdfPolicy, Key, SecretString};
use crate::error::{Error, Result};
use crate::store::Store;

pub use credentials::{
    find as find_credential, list as list_credentials, CredentialMeta, CredentialRef, ImportReport,
    ImportedKey, NewCredential, Purpose, SkippedKey, MAX_SECRET_BYTES,
};
pub use provider::Provider;

/// Layout version of the vault header and its wrapped key.
pub const VAULT_FORMAT_VERSION: i64 = 1;

/// Audit actions: plain text in the log so they can be filtered.
pub mod action {
    pub const VAULT_CREATE: &str = "vault.create";
    pub const UNLOCK: &str = "vault.unlock";
    pub const UNLOCK_FAILED: &str = "vault.unlock_failed";
    pub const LOCK: &str = "vault.lock";
    pub const PASSWORD_CHANGE: &str = "vault.password_change";
    pub const KEY_ROTATE: &str = "vault.key_rotate";
    pub const EXPORT: &str = "vault.export";
    pub const IMPORT: &str = "vault.import";
    pub const CREDENTIAL_ADD: &str = "credential.add";
    pub const CREDENTIAL_REVEAL: &str = "credential.reveal";
    pub const CREDENTIAL_COPY: &str = "credential.copy";
    pub const CREDENTIAL_USE: &str = "credential.use";
    pub const CREDENTIAL_ROTATE: &str = "credential.rotate";
    pub const CREDENTIAL_DELETE: &str = "credential.delete";
    pub const CREDENTIAL_IMPORT: &str = "credential.import_env";
    pub const SETTINGS_CHANGE: &str = "settings.change";
    pub const ANCHOR_RESET: &str = "audit.anchor_reset";
    pub const PROVIDER_ACCOUNT_ADD: &str = "provider.account_add";
    pub const PROVIDER_BASE_URL_CHANGE: &str = "provider.base_url_change";
}

struct Keys {
    data: Key,
    field: Key,
    audit: Key,
}

impl Keys {
    fn from_data_key(data: Key) -> Keys {
        let field = crypto::subkey(&data, "field-encryption");
        let audit = crypto::subkey(&data, "audit-mac");
        Keys { data, field, audit }
    }

    fn audit_keys(&self) -> AuditKeys<'_> {
        AuditKeys {
            field: &self.field,
            mac: &self.audit,
        }
    }
}

/// What the user should hear after unlocking.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnlockReport {
    /// Times of failed unlock attempts since the last successful one.
    pub failed_attempts: Vec<String>,
    /// Set when the anchor beside the database disagrees with it; `audit verify` gives the details.
    pub integrity_warning: Option<String>,
}

struct AnchorState {
    /// False when the anchor on disk disagreed with the database at unlock: it is then kept as evidence and
    /// not overwritten until the user resets it.
    trusted: bool,
    written_seq: i64,
}

/// An unlocked vault. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct Vault {
    store: Store,
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    keys: RwLock<Option<Keys>>,
    anchor: Mutex<AnchorState>,
    last_activity: Mutex<Instant>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("unlocked", &self.is_unlocked())
            .finish()
    }
}

struct Header {
    format_version: i64,
    kdf: KdfParams,
    wrapped: Vec<u8>,
}

fn header_aad(format_version: i64, kdf: &KdfParams) -> Vec<u8> {
    let mut aad = b"vault_meta\0wrapped_data_key\0".to_vec();
    aad.extend_from_slice(&format_version.to_be_bytes());
    aad.extend_from_slice(&kdf.binding());
    aad
}

fn read_header(tx: &Transaction<'_>) -> Result<Option<Header>> {
    let row = tx
        .query_row(
            "SELECT format_version, kdf_algorithm, kdf_iterations, kdf_salt, wrapped_data_key
             FROM vault_meta WHERE id = 1",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((format_version, algorithm, iterations, salt, wrapped)) = row else {
        return Ok(None);
    };
    if format_version != VAULT_FORMAT_VERSION {
        return Err(Error::UnsupportedFormat(format!(
            "vault format version {format_version}"
        )));
    }
    let iterations = u32::try_from(iterations)
        .map_err(|_| Error::Integrity("the vault's iteration count is out of range".into()))?;
    Ok(Some(Header {
        format_version,
        kdf: KdfParams {
            algorithm,
            iterations,
            salt,
        },
        wrapped,
    }))
}

/// Whether `store` holds a vault.
pub fn exists(store: &Store) -> Result<bool> {
    store.read(|tx| {
        Ok(tx.query_row("SELECT COUNT(*) FROM vault_meta", [], |r| {
            r.get::<_, i64>(0)
        })? > 0)
    })
}

impl Vault {
    /// Creates a new vault in `store` (whose files live in `dir`) and returns it unlocked.
    pub fn create(
        dir: &Path,
        store: Store,
        password: &SecretString,
        policy: &KdfPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        let kdf = KdfParams::generate(policy);
        let kek = crypto::derive_kek(password, &kdf, policy)?;
        let keys = Keys::from_data_key(crypto::random_key());
        let wrapped = crypto::seal(
            &kek,
            &header_aad(VAULT_FORMAT_VERSION, &kdf),
            keys.data.expose(),
        );
        let now = clock.now();
        let head = store.write(|tx| {
            if read_header(tx)?.is_some() {
                return Err(Error::VaultExists(dir.to_path_buf()));
            }
            tx.execute(
                "INSERT INTO vault_meta (id, format_version, kdf_algorithm, kdf_iterations, kdf_salt,
                                         wrapped_data_key, created_at)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
                params![VAULT_FORMAT_VERSION, kdf.algorithm, kdf.iterations, kdf.salt, wrapped, audit::format_time(now)],
            )?;
            audit::append(
                tx,
                &keys.audit_keys(),
                now,
                action::VAULT_CREATE,
                None,
                &json!({"kdf": kdf.algorithm, "iterations": kdf.iterations}),
            )
        })?;
        let vault = Vault::new(
            dir,
            store,
            clock,
            keys,
            AnchorState {
                trusted: true,
                written_seq: 0,
            },
        );
        vault.write_anchor(head)?;
        Ok(vault)
    }

    fn new(
        dir: &Path,
        store: Store,
        clock: Arc<dyn Clock>,
        keys: Keys,
        anchor: AnchorState,
    ) -> Vault {
        Vault {
            store,
            dir: dir.to_path_buf(),
            clock,
            keys: RwLock::new(Some(keys)),
            anchor: Mutex::new(anchor),
            last_activity: Mutex::new(Instant::now()),
        }
    }

    /// Unlocks the vault in `store`. A wrong password is recorded (without a key, in `failed_unlocks`) and
    /// answered with [`Error::WrongPassword`], whatever the cause.
    pub fn unlock(
        dir: &Path,
        store: Store,
        password: &SecretString,
        policy: &KdfPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<(Vault, UnlockReport)> {
        let header = store
            .read(read_header)?
            .ok_or_else(|| Error::NoVault(dir.to_path_buf()))?;
        let kek = crypto::derive_kek(password, &header.kdf, policy)?;
        let data = match crypto::open(
            &kek,
            &header_aad(header.format_version, &header.kdf),
            &header.wrapped,
        ) {
            Ok(bytes) if bytes.expose().len() == 32 => {
                let mut raw = [0u8; 32];
                raw.copy_from_slice(bytes.expose());
                let key = Key::from_bytes(raw);
                zeroize::Zeroize::zeroize(&mut raw);
                key
            }
            _ => {
                let at = audit::format_time(clock.now());
                store.write(|tx| {
                    Ok(tx.execute("INSERT INTO failed_unlocks (at) VALUES (?1)", [at])?)
                })?;
                return Err(Error::WrongPassword);
            }
        };
        let keys = Keys::from_data_key(data);
        let anchor = Anchor::read(dir);
        let pending = Anchor::read_pending(dir).ok().flatten();
        let now = clock.now();
        let mut report = UnlockReport::default();
        let mut promote = false;
        let (head, trusted) = store.write(|tx| {
            let mut trusted = match &anchor {
                Ok(anchor) => anchor_agrees(tx, &keys, anchor.as_ref())?,
                Err(_) => false,
            };
            // A rotation killed between its commit and the rename of its anchor: the pending anchor, MACed
            // under the key now in force, is the one that agrees.
            if !trusted && pending.is_some() && anchor_agrees(tx, &keys, pending.as_ref())? {
                trusted = true;
                promote = true;
            }
            if !trusted {
                report.integrity_warning = Some(
                    "the audit log's anchor disagrees with the database: run `tallyvault audit verify`".into(),
                );
            } else if !audit::seal_is_intact(tx, &keys.audit)? {
                report.integrity_warning = Some(
                    "the audit log's sealed head does not match the log: run `tallyvault audit verify`".into(),
                );
            }
            let failed: Vec<String> = {
                let mut stmt = tx.prepare("SELECT at FROM failed_unlocks ORDER BY id")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            if !failed.is_empty() {
                audit::append(
                    tx,
                    &keys.audit_keys(),
                    now,
                    action::UNLOCK_FAILED,
                    None,
                    &json!({"count": failed.len(), "times": failed}),
                )?;
                tx.execute("DELETE FROM failed_unlocks", [])?;
            }
            report.failed_attempts = failed;
            let head = audit::append(tx, &keys.audit_keys(), now, action::UNLOCK, None, &json!({}))?;
            Ok((head, trusted))
        })?;
        if promote {
            Anchor::promote_pending(dir)?;
        } else if pending.is_some() {
            // a rotation that never committed
            Anchor::discard_pending(dir);
        }
        let vault = Vault::new(
            dir,
            store,
            clock,
            keys,
            AnchorState {
                trusted,
                written_seq: 0,
            },
        );
        vault.write_anchor(head)?;
        Ok((vault, report))
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn is_unlocked(&self) -> bool {
        self.keys.read().map(|k| k.is_some()).unwrap_or(false)
    }

    /// Records the lock and drops all key material (zeroized on drop).
    pub fn lock(&self) -> Result<()> {
        let result = self.audited(action::LOCK, None, json!({}), |_, _| Ok(()));
        self.forget_keys();
        result
    }

    fn forget_keys(&self) {
        let mut guard = match self.keys.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = None;
    }

    /// Locks if nothing used the vault for `idle`. Returns whether it locked.
    pub fn lock_if_idle(&self, idle: std::time::Duration) -> Result<bool> {
        let last = *self.last_activity.lock().unwrap_or_else(|p| p.into_inner());
        if self.is_unlocked() && last.elapsed() >= idle {
            self.lock()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Runs `change` and appends its audit event in one IMMEDIATE transaction, then advances the anchor.
    fn audited<T>(
        &self,
        action: &str,
        credential_id: Option<i64>,
        details: serde_json::Value,
        change: impl FnOnce(&Transaction<'_>, &Keys) -> Result<T>,
    ) -> Result<T> {
        self.audited_with(|tx, keys| {
            let value = change(tx, keys)?;
            Ok((value, action.to_string(), credential_id, details))
        })
    }

    /// Like [`Vault::audited`], for changes whose event is only known once the change has run.
    fn audited_with<T>(
        &self,
        change: impl FnOnce(
            &Transaction<'_>,
            &Keys,
        ) -> Result<(T, String, Option<i64>, serde_json::Value)>,
    ) -> Result<T> {
        let guard = self.keys.read().map_err(|_| Error::Locked)?;
        let keys = guard.as_ref().ok_or(Error::Locked)?;
        let now = self.clock.now();
        let (value, head) = self.store.write(|tx| {
            let (value, action, credential_id, details) = change(tx, keys)?;
            let head = audit::append(
                tx,
                &keys.audit_keys(),
                now,
                &action,
                credential_id,
                &details,
            )?;
            Ok((value, head))
        })?;
        drop(guard);
        self.touch();
        self.write_anchor(head)?;
        Ok(value)
    }

    fn write_anchor(&self, head: Head) -> Result<()> {
        let mut state = self.anchor.lock().unwrap_or_else(|p| p.into_inner());
        if !state.trusted || head.seq <= state.written_seq {
            return Ok(());
        }
        let guard = self.keys.read().map_err(|_| Error::Locked)?;
        let keys = guard.as_ref().ok_or(Error::Locked)?;
        Anchor::new(&keys.audit, head).write(&self.dir)?;
        state.written_seq = head.seq;
        Ok(())
    }

    fn with_keys<T>(&self, f: impl FnOnce(&Keys) -> Result<T>) -> Result<T> {
        let guard = self.keys.read().map_err(|_| Error::Locked)?;
        let keys = guard.as_ref().ok_or(Error::Locked)?;
        self.touch();
        f(keys)
    }

    /// Re-wraps the data key under a new password (fresh salt, current policy), in one transaction.
    pub fn change_password(&self, new_password: &SecretString, policy: &KdfPolicy) -> Result<()> {
        let kdf = KdfParams::generate(policy);
        let kek = crypto::derive_kek(new_password, &kdf, policy)?;
        let details = json!({"kdf": kdf.algorithm, "iterations": kdf.iterations});
        self.audited(action::PASSWORD_CHANGE, None, details, |tx, keys| {
            let wrapped = crypto::seal(
                &kek,
                &header_aad(VAULT_FORMAT_VERSION, &kdf),
                keys.data.expose(),
            );
            tx.execute(
                "UPDATE vault_meta SET kdf_algorithm = ?1, kdf_iterations = ?2, kdf_salt = ?3,
                                       wrapped_data_key = ?4 WHERE id = 1",
                params![kdf.algorithm, kdf.iterations, kdf.salt, wrapped],
            )?;
            Ok(())
        })
    }

    /// Replaces the data key: re-encrypts every secret field (and provider accounts' approved base URLs) and
    /// re-seals the whole audit chain under the new sub-keys, in one transaction. Refuses when the audit log does not verify, so rotation never launders
    /// tampering. Needs the password to wrap the new key.
    pub fn rotate_data_key(&self, password: &SecretString, policy: &KdfPolicy) -> Result<usize> {
        let report = self.verify_audit()?;
        if let Some(problem) = report.problem {
            return Err(Error::Integrity(format!(
                "the audit log does not verify ({problem}); key not rotated"
            )));
        }
        let header = self
            .store
            .read(read_header)?
            .ok_or_else(|| Error::NoVault(self.dir.clone()))?;
        let kek = crypto::derive_kek(password, &header.kdf, policy)?;
        let aad = header_aad(header.format_version, &header.kdf);
        let current =
            crypto::open(&kek, &aad, &header.wrapped).map_err(|_| Error::WrongPassword)?;
        let mut guard = self.keys.write().map_err(|_| Error::Locked)?;
        let old = guard.as_ref().ok_or(Error::Locked)?;
        if !crypto::mac_eq(current.expose(), old.data.expose()) {
            return Err(Error::WrongPassword);
        }
        let new = Keys::from_data_key(crypto::random_key());
        let now = self.clock.now();
        let trusted_anchor = self
            .anchor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .trusted;
        let committed = self.store.write(|tx| {
            let count = credentials::reencrypt_all(tx, &old.field, &new.field)?;
            destinations::reencrypt_all(tx, &old.field, &new.field)?;
            audit::rekey(tx, &old.audit_keys(), &new.audit_keys())?;
            let wrapped = crypto::seal(&kek, &aad, new.data.expose());
            tx.execute(
                "UPDATE vault_meta SET wrapped_data_key = ?1 WHERE id = 1",
                [wrapped],
            )?;
            let head = audit::append(
                tx,
                &new.audit_keys(),
                now,
                action::KEY_ROTATE,
                None,
                &json!({"credentials_reencrypted": count}),
            )?;
            // The whole chain is re-MACed: once this commits, the anchor on disk cannot be checked any more.
            // Its successor is written (and synced) first and moved into place after the commit.
            if trusted_anchor {
                Anchor::new(&new.audit, head).write_pending(&self.dir)?;
            }
            Ok((count, head))
        });
        let (count, head) = match committed {
            Ok(done) => done,
            Err(e) => {
                Anchor::discard_pending(&self.dir);
                return Err(e);
            }
        };
        *guard = Some(new);
        drop(guard);
        {
            let mut state = self.anchor.lock().unwrap_or_else(|p| p.into_inner());
            if state.trusted {
                Anchor::promote_pending(&self.dir)?;
                state.written_seq = head.seq;
            }
        }
        Ok(count)
    }

    /// Checks the audit chain, its sealed head and the anchor beside the database.
    pub fn verify_audit(&self) -> Result<audit::VerifyReport> {
        self.with_keys(|keys| {
            let anchor = match Anchor::read(&self.dir) {
                Ok(anchor) => anchor,
                Err(_) => {
                    let events = self.store.read(|tx| {
                        Ok(tx.query_row("SELECT COUNT(*) FROM audit_log", [], |r| {
                            r.get::<_, i64>(0)
                        })?)
                    })?;
                    return Ok(audit::VerifyReport {
                        events,
                        problem: Some(audit::Problem::AnchorInvalid),
                    });
                }
            };
            self.store
                .read(|tx| audit::verify(tx, &keys.audit_keys(), anchor.as_ref()))
        })
    }

    /// Lists audit events, newest first.
    pub fn audit_events(&self, filter: &audit::Filter) -> Result<Vec<audit::Event>> {
        self.with_keys(|keys| {
            self.store
                .read(|tx| audit::list(tx, &keys.audit_keys(), filter))
        })
    }

    /// Re-anchors the log at its current head, after the user has looked at a verify failure. Audited.
    pub fn reset_anchor(&self, reason: &str) -> Result<()> {
        let previous = Anchor::read(&self.dir).ok().flatten().map(|a| a.head.seq);
        {
            let mut state = self.anchor.lock().unwrap_or_else(|p| p.into_inner());
            state.trusted = true;
            state.written_seq = 0;
        }
        // The seal is reset too: a seal left as evidence is re-made over the current last row first.
        self.audited(
            action::ANCHOR_RESET,
            None,
            json!({"reason": reason, "previous_anchor_seq": previous}),
            |tx, keys| audit::reseal(tx, &keys.audit),
        )
    }

    /// Stores a setting (audited).
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        if key.is_empty() || key.len() > 100 {
            return Err(Error::InvalidInput(
                "a setting name must have 1 to 100 characters".into(),
            ));
        }
        let details = json!({"key": key, "value": value});
        self.audited(action::SETTINGS_CHANGE, None, details, |tx, _| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }
}

/// Reads a setting; settings are not secret.
pub fn setting(store: &Store, key: &str) -> Result<Option<String>> {
    store.read(|tx| {
        Ok(tx
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    })
}

fn anchor_agrees(tx: &Transaction<'_>, keys: &Keys, anchor: Option<&Anchor>) -> Result<bool> {
    let sealed = audit::sealed_head(tx)?;
    Ok(match anchor {
        None => sealed.is_none(),
        Some(anchor) => {
            anchor.is_authentic(&keys.audit)
                && sealed.is_some_and(|h| h.seq >= anchor.head.seq)
                && audit::tag_at(tx, anchor.head.seq)?
                    .is_some_and(|t| crypto::mac_eq(&t, &anchor.head.tag))
        }
    })
}
