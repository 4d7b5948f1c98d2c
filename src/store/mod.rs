//! The one SQLite file: an r2d2 pool of rusqlite connections and the migration runner.
//!
//! Every connection is set up identically (WAL, foreign keys, a busy timeout, `synchronous=FULL`). Writes go
//! through [`Store::write`], an IMMEDIATE transaction, so concurrent writers queue on the busy timeout
//! instead of failing on a lock upgrade. Nothing here `unwrap`s a pool or database result.

mod migrate;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use r2d2::{ManageConnection, Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

pub use migrate::{migrate, SCHEMA_VERSION};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "tallyvault.db";

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// The most connections a store's pool holds.
const MAX_CONNECTIONS: u32 = 8;

/// How a store's pool keeps its connections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pooling {
    /// Every connection is opened with the store and kept: the tests and other library users.
    #[default]
    Eager,
    /// Connections are opened when needed and those above one are closed after a minute idle (or at once by
    /// [`Store::close_idle_connections`]): the desktop app, idle most of the time, where each connection would
    /// keep its schema and page cache (up to 64 MB) for nothing, and the CLI, which would otherwise open eight at
    /// every start.
    OnDemand,
}

#[derive(Clone)]
pub struct Store {
    pool: Pool<Manager>,
    path: PathBuf,
    /// Writers of this process queue here, without a timeout, before SQLite's write lock: SQLite's busy
    /// handler is neither fair nor patient (a writer can starve past the busy timeout among many), so only
    /// another process's writers ever meet it.
    write_gate: Arc<Mutex<()>>,
    /// How many connections coming back to the pool to close instead of keeping idle (shared with [`Manager`]).
    to_close: Arc<AtomicUsize>,
}

/// r2d2_sqlite's connection manager, which can also close connections as they come back to the pool: r2d2
/// closes a returned connection that "has broken" instead of keeping it idle.
#[derive(Debug)]
struct Manager {
    sqlite: SqliteConnectionManager,
    to_close: Arc<AtomicUsize>,
}

impl ManageConnection for Manager {
    type Connection = Connection;
    type Error = rusqlite::Error;

    fn connect(&self) -> rusqlite::Result<Connection> {
        self.sqlite.connect()
    }

    fn is_valid(&self, conn: &mut Connection) -> rusqlite::Result<()> {
        self.sqlite.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        self.sqlite.has_broken(conn)
            || self
                .to_close
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
    }
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
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -65536;
         PRAGMA threads = 2;",
    )
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Self::open_with(data_dir, Pooling::Eager)
    }

    /// [`Store::open`] with a pool that keeps its connections as `pooling` says.
    pub fn open_with(data_dir: &Path, pooling: Pooling) -> Result<Store> {
        create_private_dir(data_dir)?;
        Self::open_file_with(&data_dir.join(DB_FILE), pooling)
    }

    /// Opens a database file directly.
    pub fn open_file(path: &Path) -> Result<Store> {
        Self::open_file_with(path, Pooling::Eager)
    }

    fn open_file_with(path: &Path, pooling: Pooling) -> Result<Store> {
        // Open and migrate on a plain connection first: a damaged or foreign file then fails at once with
        // SQLite's own message, instead of the pool retrying until its timeout.
        let mut first = Connection::open(path)?;
        init_connection(&mut first)?;
        migrate(&mut first)?;
        drop(first);
        let to_close = Arc::new(AtomicUsize::new(0));
        let manager = Manager {
            sqlite: SqliteConnectionManager::file(path).with_init(init_connection),
            to_close: to_close.clone(),
        };
        let builder = Pool::builder()
            .max_size(MAX_CONNECTIONS)
            .connection_timeout(Duration::from_secs(30));
        let builder = match pooling {
            Pooling::Eager => builder,
            Pooling::OnDemand => builder
                .min_idle(Some(1))
                .idle_timeout(Some(Duration::from_secs(60))),
        };
        let pool = builder.build(manager)?;
        let store = Store {
            pool,
            path: path.to_path_buf(),
            write_gate: Arc::new(Mutex::new(())),
            to_close,
        };
        restrict_permissions(path);
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> Result<PooledConnection<impl ManageConnection<Connection = Connection>>> {
        Ok(self.pool.get()?)
    }

    /// Closes the pool's idle connections but one, each with its schema and page cache; connections in use are
    /// left alone. The desktop app calls it every few seconds, so a burst of commands does not leave its
    /// connections open for the idle minute of [`Pooling::OnDemand`].
    pub fn close_idle_connections(&self) {
        let extra = self.pool.state().idle_connections.saturating_sub(1) as usize;
        // Taken out of the pool (leaving one idle, so r2d2 opens none to replace them), then closed as they
        // come back; a connection another thread returns meanwhile may be closed in the place of one of these.
        let taken: Vec<_> = (0..extra).map_while(|_| self.pool.try_get()).collect();
        self.to_close.fetch_add(taken.len(), Ordering::SeqCst);
        drop(taken);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_on_demand_pool_keeps_one_connection_until_more_are_needed() {
        let dir = tempfile::tempdir().unwrap();
        let eager = Store::open(dir.path()).unwrap();
        assert_eq!(
            eager.pool.state().connections,
            MAX_CONNECTIONS,
            "the eager pool (tests, library users) opens every connection with the store"
        );
        drop(eager);
        let store = Store::open_with(dir.path(), Pooling::OnDemand).unwrap();
        assert_eq!(
            store.pool.state().connections,
            1,
            "the desktop's pool starts with one"
        );
        let a = store.conn().unwrap();
        let b = store.conn().unwrap();
        // A second user gets a second connection. Each checkout that leaves no idle connection also makes r2d2
        // open one in the background (min_idle 1), and the second user may be served by the first refill while
        // its own request opens another: at most one extra per checkout, so 2 to 4.
        let connections = store.pool.state().connections;
        assert!(
            (2..=4).contains(&connections),
            "two users hold {connections} connections"
        );
        drop((a, b));
        store
            .read(|tx| Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .unwrap();
    }

    #[test]
    fn idle_connections_but_one_can_be_closed_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(dir.path(), Pooling::OnDemand).unwrap();
        let held: Vec<_> = (0..4).map(|_| store.conn().unwrap()).collect();
        store.close_idle_connections();
        assert!(
            store.pool.state().connections >= 4,
            "connections in use are left alone"
        );
        drop(held);
        // r2d2 may still be opening the idle connection it wanted back when the first one was taken.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            store.close_idle_connections();
            let state = store.pool.state();
            if (state.connections, state.idle_connections) == (1, 1) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "idle connections left open: {state:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            store.to_close.load(Ordering::SeqCst),
            0,
            "no close left pending"
        );
        store
            .read(|tx| Ok(tx.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .unwrap();
    }
}
