//! Creating, unlocking and locking the vault.

use tallyvault::crypto::SecretString;
use tallyvault::vault::{self as core_vault, Vault};
use tauri::State;

use crate::dto::{CommandResult, UnlockOutcome, VaultStatus};
use crate::state::AppState;
use crate::validate;

#[tauri::command(async)]
pub fn vault_status(state: State<'_, AppState>) -> CommandResult<VaultStatus> {
    Ok(VaultStatus {
        exists: core_vault::exists(&state.store()?)?,
        unlocked: state.is_unlocked(),
        data_dir: state.data_dir.display().to_string(),
    })
}

/// Creates the vault and leaves it unlocked.
#[tauri::command(async)]
pub fn create_vault(state: State<'_, AppState>, password: String) -> CommandResult<()> {
    let password = SecretString::new(password);
    validate::password(password.expose())?;
    let vault = Vault::create(
        &state.data_dir,
        state.store()?,
        &password,
        &state.policy,
        AppState::clock(),
    )?;
    state.set_unlocked(vault);
    Ok(())
}

#[tauri::command(async)]
pub fn unlock_vault(state: State<'_, AppState>, password: String) -> CommandResult<UnlockOutcome> {
    let password = SecretString::new(password);
    validate::password(password.expose())?;
    let (vault, report) = Vault::unlock(
        &state.data_dir,
        state.store()?,
        &password,
        &state.policy,
        AppState::clock(),
    )?;
    state.set_unlocked(vault);
    Ok(report.into())
}

#[tauri::command(async)]
pub fn lock_vault(state: State<'_, AppState>) -> CommandResult<()> {
    state.lock()
}

/// The user typed or clicked: postpones auto-lock.
#[tauri::command(async)]
pub fn note_activity(state: State<'_, AppState>) {
    state.note_activity();
}
