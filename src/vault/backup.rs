//! Encrypted backups: a consistent snapshot of the whole database (`VACUUM INTO`), sealed with AES-256-GCM
//! under a key derived from the master password, restorable into an empty data directory.
//!
//! File layout: `"TVBK" ‖ version (1) ‖ iterations (u32 BE) ‖ salt (16) ‖ field blob`, where the blob's
//! associated data is everything before it.

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::{action, read_header, Vault};
use crate::audit::{Problem, ANCHOR_FILE};
use crate::clock::Clock;
use crate::crypto::{self, KdfParams, KdfPolicy, SecretString, KDF_ALGORITHM, SALT_LEN};
use crate::error::{Error, Result};
use crate::store::{Store, DB_FILE};

const MAGIC: &[u8; 4] = b"TVBK";
const BACKUP_VERSION: u8 = 1;
const HEADER_LEN: usize = 4 + 1 + 4 + SALT_LEN;
/// Where a restore is prepared, inside the data directory (same file system, so the final renames are atomic).
const RESTORE_DIR: &str = "restore.tmp";

fn backup_key(kek: &crypto::Key) -> crypto::Key {
    crypto::subkey(kek, "backup-file")
}

impl Vault {
    /// Writes an encrypted backup of the whole database to `path`. The password is checked first.
    pub fn export_backup(
        &self,
        path: &Path,
        password: &SecretString,
        policy: &KdfPolicy,
    ) -> Result<()> {
        let header = self
            .store
            .read(read_header)?
            .ok_or_else(|| Error::NoVault(self.dir.clone()))?;
        let kek = crypto::derive_kek(password, &header.kdf, policy)?;
        let aad = super::header_aad(header.format_version, &header.kdf);
        let data = crypto::open(&kek, &aad, &header.wrapped).map_err(|_| Error::WrongPassword)?;
        self.with_keys(|keys| {
            if crypto::mac_eq(data.expose(), keys.data.expose()) {
                Ok(())
            } else {
                Err(Error::WrongPassword)
            }
        })?;
        self.audited(
            action::EXPORT,
            None,
            json!({"file": path.display().to_string()}),
            |_, _| Ok(()),
        )?;

        let snapshot_path = self
            .dir
            .join(format!("backup-snapshot-{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&snapshot_path);
        let snapshot = (|| {
            let conn = self.store.conn()?;
            conn.execute("VACUUM INTO ?1", [snapshot_path.to_string_lossy().as_ref()])?;
            std::fs::read(&snapshot_path).map_err(Error::io("cannot read the snapshot"))
        })();
        let _ = std::fs::remove_file(&snapshot_path);
        let snapshot = snapshot?;

        write_new_file(path, &seal_backup(&kek, &header.kdf, &snapshot))
    }

    /// A backup file's bytes around `snapshot`, sealed under `password` with a cheap KDF: lets the fuzz
    /// targets and tests restore any database bytes. Test builds only.
    #[cfg(feature = "test-kdf")]
    #[doc(hidden)]
    pub fn seal_backup_bytes(snapshot: &[u8], password: &SecretString, iterations: u32) -> Vec<u8> {
        let policy = KdfPolicy::insecure_for_tests(iterations);
        let kdf = KdfParams::generate(&policy);
        match crypto::derive_kek(password, &kdf, &policy) {
            Ok(kek) => seal_backup(&kek, &kdf, snapshot),
            Err(e) => panic!("a test backup needs a non-empty password: {e}"),
        }
    }

    /// Restores a backup into `dir`, which must not hold a database yet, and returns the vault unlocked.
    ///
    /// The restore is prepared in a staging folder inside `dir` (unlocked, verified, its `vault.import` event
    /// appended and its anchor written there) and only then moved into place: the anchor first, then the
    /// database, whose rename is the commit point. A restore killed at any moment leaves either no database
    /// (run it again) or a complete vault whose log verifies, never a database without its anchor.
    pub fn import_backup(
        dir: &Path,
        file: &Path,
        password: &SecretString,
        policy: &KdfPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        let db_path = dir.join(DB_FILE);
        if db_path.exists() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
        let bytes =
            std::fs::read(file).map_err(Error::io(format!("cannot read {}", file.display())))?;
        if bytes.len() < HEADER_LEN || &bytes[..4] != MAGIC {
            return Err(Error::UnsupportedFormat(format!(
                "{} is not a Tallyvault backup",
                file.display()
            )));
        }
        if bytes[4] != BACKUP_VERSION {
            return Err(Error::UnsupportedFormat(format!(
                "backup format version {}",
                bytes[4]
            )));
        }
        let mut iterations = [0u8; 4];
        iterations.copy_from_slice(&bytes[5..9]);
        let kdf = KdfParams {
            algorithm: KDF_ALGORITHM.to_string(),
            iterations: u32::from_be_bytes(iterations),
            salt: bytes[9..HEADER_LEN].to_vec(),
        };
        let kek = crypto::derive_kek(password, &kdf, policy)?;
        let snapshot = crypto::open(
            &backup_key(&kek),
            &bytes[..HEADER_LEN],
            &bytes[HEADER_LEN..],
        )
        .map_err(|_| Error::WrongPassword)?;

        crate::store::create_private_dir(dir)?;
        let staging = dir.join(RESTORE_DIR);
        // what an interrupted restore left behind
        let _ = std::fs::remove_dir_all(&staging);
        crate::store::create_private_dir(&staging)?;
        let restored = (|| {
            write_new_file(&staging.join(DB_FILE), snapshot.expose())?;
            drop(snapshot);
            let (keys, head) =
                Vault::prepare_restore(&staging, file, password, policy, clock.clone())?;
            std::fs::rename(staging.join(ANCHOR_FILE), dir.join(ANCHOR_FILE))
                .map_err(Error::io("cannot move the restored anchor into place"))?;
            std::fs::rename(staging.join(DB_FILE), &db_path)
                .map_err(Error::io("cannot move the restored database into place"))?;
            let store = Store::open(dir)?;
            Ok(Vault::new(
                dir,
                store,
                clock,
                keys,
                super::AnchorState {
                    trusted: true,
                    written_seq: head,
                },
            ))
        })();
        let _ = std::fs::remove_dir_all(&staging);
        restored
    }

    /// Opens the snapshot in `staging`, checks its audit log, appends the `vault.import` event, writes the
    /// anchor beside it and closes it with everything in the database file (no WAL). Returns the keys and
    /// the anchored seq.
    fn prepare_restore(
        staging: &Path,
        file: &Path,
        password: &SecretString,
        policy: &KdfPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<(super::Keys, i64)> {
        let store = Store::open(staging)?;
        let (vault, _) = Vault::unlock(staging, store, password, policy, clock)?;
        let report = vault.verify_audit()?;
        match report.problem {
            None | Some(Problem::AnchorMissing) => {}
            Some(problem) => {
                return Err(Error::Integrity(format!(
                    "the backup's audit log does not verify: {problem}"
                )))
            }
        }
        vault
            .anchor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .trusted = true;
        vault.audited(
            action::IMPORT,
            None,
            json!({"file": file.display().to_string()}),
            |_, _| Ok(()),
        )?;
        let head = vault
            .anchor
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .written_seq;
        // Everything into the database file before it is moved: a WAL left behind would be lost.
        let (busy, _, _): (i64, i64, i64) =
            vault
                .store
                .conn()?
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 {
            return Err(Error::Integrity(
                "the restored database could not be checkpointed".into(),
            ));
        }
        let keys = vault
            .keys
            .write()
            .map_err(|_| Error::Locked)?
            .take()
            .ok_or(Error::Locked)?;
        drop(vault);
        Ok((keys, head))
    }
}

/// The backup file: header, then the snapshot sealed under the backup key with the header as associated data.
fn seal_backup(kek: &crypto::Key, kdf: &KdfParams, snapshot: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + snapshot.len() + 64);
    out.extend_from_slice(MAGIC);
    out.push(BACKUP_VERSION);
    out.extend_from_slice(&kdf.iterations.to_be_bytes());
    out.extend_from_slice(&kdf.salt);
    let blob = crypto::seal(&backup_key(kek), &out, snapshot);
    out.extend_from_slice(&blob);
    out
}

/// Writes `bytes` to a new file readable by its owner only, and syncs it.
fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let err = || Error::io(format!("cannot write {}", path.display()));
    let mut file = options.open(path).map_err(err())?;
    file.write_all(bytes).map_err(err())?;
    file.sync_all().map_err(err())
}
