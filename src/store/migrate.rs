//! The migration runner. Migrations are embedded SQL files, applied in order, each in its own IMMEDIATE
//! transaction together with the bump of `PRAGMA user_version` and a row in `schema_migrations`, so a crash
//! leaves either the old or the new schema. Landed migrations are never edited: add a new file instead.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_vault",
        include_str!("../../migrations/0001_vault.sql"),
    ),
    (
        "0002_usage",
        include_str!("../../migrations/0002_usage.sql"),
    ),
    (
        "0003_budgets",
        include_str!("../../migrations/0003_budgets.sql"),
    ),
    (
        "0004_providers",
        include_str!("../../migrations/0004_providers.sql"),
    ),
    (
        "0005_provider_balances",
        include_str!("../../migrations/0005_provider_balances.sql"),
    ),
    (
        "0006_provider_destination",
        include_str!("../../migrations/0006_provider_destination.sql"),
    ),
    (
        "0007_usage_hourly_models",
        include_str!("../../migrations/0007_usage_hourly_models.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to date; returns how many migrations were applied.
pub fn migrate(conn: &mut Connection) -> Result<usize> {
    let mut applied = 0;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(Error::NewerDatabase {
                found: version,
                supported: SCHEMA_VERSION,
            });
        }
        let Some((name, sql)) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(applied);
        };
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        )?;
        tx.execute_batch(sql)?;
        let next = version + 1;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![next, name, chrono::Utc::now().to_rfc3339()],
        )?;
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
        applied += 1;
    }
}
