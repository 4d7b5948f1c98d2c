//! Tauri commands: each takes the state, makes one call to the core, and maps the error. They run off the
//! main thread (`async`), because SQLite and key derivation block.

pub mod audit;
pub mod credentials;
pub mod settings;
pub mod vault;
