//! Settings and backups.

use tallyvault::crypto::SecretString;
use tauri::State;

use crate::dto::{CommandError, CommandResult, Settings};
use crate::state::{AppState, AUTO_LOCK_SETTING, MAX_AUTO_LOCK_MINUTES};
use crate::validate;

fn suggested_backup_path() -> String {
    let dir = directories::UserDirs::new()
        .map(|d| d.home_dir().to_path_buf())
        .unwrap_or_default();
    let date = chrono::Local::now().format("%Y-%m-%d");
    dir.join(format!("tallyvault-backup-{date}.tvbk"))
        .display()
        .to_string()
}

#[tauri::command(async)]
pub fn get_settings(state: State<'_, AppState>) -> CommandResult<Settings> {
    Ok(Settings {
        auto_lock_minutes: state.auto_lock_minutes()?,
        suggested_backup_path: suggested_backup_path(),
    })
}

/// Audited, like every settings change.
#[tauri::command(async)]
pub fn set_auto_lock_minutes(state: State<'_, AppState>, minutes: u32) -> CommandResult<()> {
    if !(1..=MAX_AUTO_LOCK_MINUTES).contains(&minutes) {
        return Err(CommandError::invalid_input(format!(
            "auto-lock must be between 1 and {MAX_AUTO_LOCK_MINUTES} minutes"
        )));
    }
    Ok(state
        .vault()?
        .set_setting(AUTO_LOCK_SETTING, &minutes.to_string())?)
}

/// Writes an encrypted backup to `path`, which must be absolute and must not exist yet. The password is
/// asked again, as the CLI does.
#[tauri::command(async)]
pub fn export_backup(
    state: State<'_, AppState>,
    path: String,
    password: String,
) -> CommandResult<()> {
    let password = SecretString::new(password);
    validate::password(password.expose())?;
    let path = validate::new_file_path(&path)?;
    Ok(state
        .vault()?
        .export_backup(&path, &password, &state.policy)?)
}
