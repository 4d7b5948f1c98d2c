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

        let mut out = Vec::with_capacity(HEADER_LEN + snapshot.len() + 64);
        out.extend_from_slice(MAGIC);
        out.push(BACKUP_VERSION);
        out.extend_from_slice(&header.kdf.iterations.to_be_bytes());
        out.extend_from_slice(&header.kdf.salt);
        let blob = crypto::seal(&backup_key(&kek), &out, &snapshot);
        out.extend_from_slice(&blob);
        write_new_file(path, &out)
    }

    /// Restores a backup into `dir`, which must not hold a database yet, and returns the vault unlocked.
    pub fn import_backup(
        dir: &Path,
        file: &Path,
        password: &SecretString,
        policy: &KdfPolicy,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        let db_path = dir.join(DB_FILE);
        if db_path.exists() || dir.join(ANCHOR_FILE).exists() {
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
        let tmp = dir.join(format!("{DB_FILE}.restore.tmp"));
        write_new_file(&tmp, snapshot.expose())?;
        drop(snapshot);
        std::fs::rename(&tmp, &db_path)
            .map_err(Error::io("cannot move the restored database into place"))?;

        let restored = (|| {
            let store = Store::open(dir)?;
            let (vault, _) = Vault::unlock(dir, store, password, policy, clock)?;
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
            Ok(vault)
        })();
        if restored.is_err() {
            for name in [
                DB_FILE.to_string(),
                format!("{DB_FILE}-wal"),
                format!("{DB_FILE}-shm"),
                ANCHOR_FILE.into(),
            ] {
                let _ = std::fs::remove_file(dir.join(name));
            }
        }
        restored
    }
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
