//! The one SQLite file: an r2d2 pool of rusqlite connections and the migration runner.
//!
//! Every connection is set up identically (WAL, foreign keys, a busy timeout, `synchronous=FULL`). Writes go
//! through [`Store::write`], an IMMEDIATE transaction, so concurrent writers queue on the busy timeout
//! instead of failing on a lock upgrade. Nothing here `unwrap`s a pool or database result.

mod migrate;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

pub use migrate::{migrate, SCHEMA_VERSION};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "tallyvault.db";

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

#[derive(Clone)]
pub struct Store {
    pool: Pool<SqliteConnectionManager>,
    path: PathBuf,
    /// Writers of this process queue here, without a timeout, before SQLite's write lock: SQLite's busy
    /// handler is neither fair nor patient (a writer can starve past the busy timeout among many), so only
    /// another process's writers ever meet it.
    write_gate: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn init_connection(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         PRAGMA threads = 2;",
    )
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        create_private_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        Self::open_file(&path)
    }

    /// Opens a database file directly.
    pub fn open_file(path: &Path) -> Result<Store> {
        // Open and migrate on a plain connection first: a damaged or foreign file then fails at once with
        // SQLite's own message, instead of the pool retrying until its timeout.
        let mut first = Connection::open(path)?;
        init_connection(&mut first)?;
        migrate(&mut first)?;
        drop(first);
        let manager = SqliteConnectionManager::file(path).with_init(init_connection);
        let pool = Pool::builder()
            .max_size(8)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)?;
        let store = Store {
            pool,
            path: path.to_path_buf(),
            write_gate: Arc::new(Mutex::new(())),
        };
        restrict_permissions(path);
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> Result<PooledConnection<SqliteConnectionManager>> {
        Ok(self.pool.get()?)
    }

    /// Holds this process's other writers back: for a write transaction opened by hand (the scan's writer
    /// thread). Never call [`Store::write`] while holding it.
    pub fn write_gate(&self) -> MutexGuard<'_, ()> {
        self.write_gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in an IMMEDIATE transaction and commits when it returns `Ok`. Writers of this process take
    /// turns (see [`Store::write_gate`]); `f` must not write through the store itself.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let _turn = self.write_gate();
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` in a read transaction, so it sees one consistent snapshot.
    pub fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }
}

/// Creates the data directory readable by its owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
}

/// The platform's data directory for Tallyvault, unless overridden by the caller.
pub fn default_data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "tallyvault")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| Error::InvalidInput("cannot find a home directory; pass --data-dir".into()))
}
