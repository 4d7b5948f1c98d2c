//! Tauri commands: each takes the state, makes one call to the core, and maps the error. They run off the
//! main thread (`async`), because SQLite and key derivation block. Their inputs are checked by
//! [`crate::validate`] first.

pub mod audit;
pub mod budgets;
pub mod credentials;
pub mod providers;
pub mod settings;
pub mod spend;
pub mod vault;
