use tallyvault::store::{migrate, Store, SCHEMA_VERSION};
use tallyvault::Error;

use crate::common::*;

#[test]
fn a_fresh_database_is_migrated_once() {
    let f = Fixture::new();
    let store = f.store();
    let mut conn = store.conn().unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let recorded: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, SCHEMA_VERSION);
    assert_eq!(migrate(&mut conn).unwrap(), 0, "a second run is a no-op");
    drop(conn);
    drop(store);
    let store = f.store();
    let recorded: i64 = store
        .conn()
        .unwrap()
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, SCHEMA_VERSION);
}

#[test]
fn every_connection_has_the_required_pragmas() {
    let f = Fixture::new();
    let store = f.store();
    let conn = store.conn().unwrap();
    let text = |sql: &str| {
        conn.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .unwrap()
    };
    assert_eq!(
        text("PRAGMA journal_mode"),
        rusqlite::types::Value::Text("wal".into())
    );
    assert_eq!(
        text("PRAGMA foreign_keys"),
        rusqlite::types::Value::Integer(1)
    );
    assert_eq!(
        text("PRAGMA synchronous"),
        rusqlite::types::Value::Integer(2),
        "FULL"
    );
    let timeout: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert!(timeout >= 5000);
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let f = Fixture::new();
    drop(f.store());
    f.raw()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = Store::open(f.path()).unwrap_err();
    assert!(matches!(err, Error::NewerDatabase { .. }));
    assert!(err.to_string().contains("newer Tallyvault"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let f = Fixture::new();
    std::fs::write(
        f.db_path(),
        b"this is not sqlite at all, just some text that fills a page....",
    )
    .unwrap();
    let err = Store::open(f.path()).unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("not a database"),
        "{err}"
    );
}
