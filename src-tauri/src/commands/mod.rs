//! Tauri commands: each takes the state, makes one call to the core, and maps the error. They run off the
//! main thread (`async`), because SQLite and key derivation block.

pub mod audit;
pub mod budgets;
pub mod credentials;
pub mod providers;
pub mod settings;
pub mod spend;
pub mod vault;

use std::path::PathBuf;

use crate::dto::{CommandError, CommandResult};

/// A path the user typed for a new file: absolute, and not an existing file.
pub fn new_file_path(text: &str) -> CommandResult<PathBuf> {
    let path = PathBuf::from(text.trim());
    if !path.is_absolute() {
        return Err(CommandError::invalid_input(
            "give the file's full path, starting with /",
        ));
    }
    if path.exists() {
        return Err(CommandError::invalid_input(format!(
            "{} already exists: choose another name",
            path.display()
        )));
    }
    Ok(path)
}
