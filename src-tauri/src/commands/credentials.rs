//! Credentials: metadata freely, secrets only through the audited reveal and copy.

use tallyvault::crypto::SecretString;
use tallyvault::vault::{self, CredentialRef, NewCredential, Provider, Purpose};
use tauri::State;

use crate::dto::{
    CommandError, CommandResult, CopyOutcome, Credential, ImportOutcome, NewCredentialInput,
    RevealedSecret,
};
use crate::state::AppState;
use crate::validate;

/// Needs no key: metadata is not encrypted.
#[tauri::command(async)]
pub fn list_credentials(state: State<'_, AppState>) -> CommandResult<Vec<Credential>> {
    let metas = vault::list_credentials(&state.store()?)?;
    Ok(metas.into_iter().map(Credential::from).collect())
}

#[tauri::command(async)]
pub fn list_providers() -> Vec<String> {
    Provider::ALL
        .iter()
        .map(|p| p.as_str().to_string())
        .collect()
}

/// The provider a pasted key's shape names, if any.
#[tauri::command(async)]
pub fn detect_provider(secret: String) -> CommandResult<Option<String>> {
    let secret = SecretString::new(secret);
    validate::secret(secret.expose())?;
    Ok(Provider::from_key(secret.expose()).map(|p| p.as_str().to_string()))
}

#[tauri::command(async)]
pub fn add_credential(
    state: State<'_, AppState>,
    input: NewCredentialInput,
) -> CommandResult<Credential> {
    validate::secret(&input.secret)?;
    validate::date("expiresAt", input.expires_at.as_deref())?;
    let new = NewCredential {
        provider: validate::provider(input.provider.as_deref())?,
        label: input.label.clone(),
        secret: SecretString::new(input.secret.clone()),
        note: input.note.clone().filter(|n| !n.trim().is_empty()),
        expires_at: input.expires_at.clone().filter(|e| !e.trim().is_empty()),
    };
    Ok(state.vault()?.add_credential(new)?.into())
}

/// Returns the secret to show it for a few seconds. Audited as a reveal.
#[tauri::command(async)]
pub fn reveal_secret(state: State<'_, AppState>, id: i64) -> CommandResult<RevealedSecret> {
    let id = validate::id("id", id)?;
    let secret = state
        .vault()?
        .read_secret(&CredentialRef::Id(id), Purpose::Reveal)?;
    Ok(RevealedSecret {
        value: secret.expose().to_string(),
    })
}

/// Puts the secret on the clipboard (it never reaches the web view) and clears it after a few seconds if
/// it is still there. Audited as a copy.
#[tauri::command(async)]
pub fn copy_secret(state: State<'_, AppState>, id: i64) -> CommandResult<CopyOutcome> {
    let id = validate::id("id", id)?;
    let secret = state
        .vault()?
        .read_secret(&CredentialRef::Id(id), Purpose::Copy)?;
    let generation = state
        .clipboard
        .copy(&secret)
        .map_err(CommandError::internal)?;
    let guard = state.clipboard.clone();
    let delay = guard.clear_after();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(delay).await;
        guard.clear_copy(generation);
    });
    Ok(CopyOutcome {
        clear_after_seconds: u32::try_from(delay.as_secs()).unwrap_or(u32::MAX),
    })
}

#[tauri::command(async)]
pub fn rotate_secret(
    state: State<'_, AppState>,
    id: i64,
    secret: String,
) -> CommandResult<Credential> {
    let secret = SecretString::new(secret);
    validate::secret(secret.expose())?;
    let id = validate::id("id", id)?;
    Ok(state
        .vault()?
        .rotate_secret(&CredentialRef::Id(id), secret)?
        .into())
}

#[tauri::command(async)]
pub fn delete_credential(state: State<'_, AppState>, id: i64) -> CommandResult<Credential> {
    let id = validate::id("id", id)?;
    Ok(state
        .vault()?
        .delete_credential(&CredentialRef::Id(id))?
        .into())
}

/// Imports provider keys from the text of a `.env` file the user picked.
#[tauri::command(async)]
pub fn import_env(state: State<'_, AppState>, text: String) -> CommandResult<ImportOutcome> {
    let text = SecretString::new(text);
    validate::env_text(text.expose())?;
    Ok(state.vault()?.import_env(text.expose())?.into())
}
