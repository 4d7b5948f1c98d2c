//! Tallyvault's core: the vault, the audit log, the store, and (as they land) spend tracking, budgets and
//! forecasts. It never depends on a desktop shell: every feature is reachable from the CLI and from tests.

pub mod audit;
pub mod budget;
pub mod chart;
pub mod cli;
pub mod clock;
pub mod crypto;
pub mod dashboard;
pub mod error;
pub mod forecast;
#[doc(hidden)]
pub mod fuzzing;
pub mod ingest;
pub mod money;
pub mod pricing;
pub mod providers;
pub mod report;
pub mod sources;
pub mod store;
pub mod usage;
pub mod vault;

pub use error::{Error, ErrorCode, Result};
