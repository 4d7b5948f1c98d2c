//! Fixtures: a vault in a temporary data directory with a cheap KDF, and direct SQL access for tampering.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tallyvault::clock::SystemClock;
use tallyvault::crypto::{KdfPolicy, SecretString};
use tallyvault::store::{Store, DB_FILE};
use tallyvault::vault::{NewCredential, Provider, Vault};

pub const PASSWORD: &str = "correct horse battery staple";

pub fn policy() -> KdfPolicy {
    KdfPolicy::insecure_for_tests(1000)
}

pub fn password(text: &str) -> SecretString {
    SecretString::new(text.to_string())
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join(DB_FILE)
    }

    pub fn store(&self) -> Store {
        Store::open(self.path()).expect("open store")
    }

    pub fn create(&self) -> Vault {
        Vault::create(
            self.path(),
            self.store(),
            &password(PASSWORD),
            &policy(),
            Arc::new(SystemClock),
        )
        .expect("create vault")
    }

    pub fn unlock(&self) -> tallyvault::Result<Vault> {
        self.unlock_with(PASSWORD)
    }

    pub fn unlock_with(&self, text: &str) -> tallyvault::Result<Vault> {
        Vault::unlock(
            self.path(),
            self.store(),
            &password(text),
            &policy(),
            Arc::new(SystemClock),
        )
        .map(|(v, _)| v)
    }

    /// Unlocks and returns what the user is told (failed attempts, integrity warnings).
    pub fn unlock_report(&self) -> tallyvault::Result<(Vault, tallyvault::vault::UnlockReport)> {
        Vault::unlock(
            self.path(),
            self.store(),
            &password(PASSWORD),
            &policy(),
            Arc::new(SystemClock),
        )
    }

    /// A raw connection for tampering, bypassing the store.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).expect("raw connection")
    }
}

pub fn new_credential(label: &str, secret: &str) -> NewCredential {
    NewCredential {
        provider: Some(Provider::OpenAI),
        label: label.to_string(),
        secret: password(secret),
        note: None,
        expires_at: None,
    }
}

/// A random key-shaped secret that is easy to search for.
pub fn random_secret() -> String {
    let bytes = tallyvault::crypto::random_bytes(24);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sk-proj-{hex}")
}
