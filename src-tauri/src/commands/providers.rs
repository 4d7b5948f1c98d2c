//! Providers and sources: what is polled and scanned, how it went, and "Poll now". Only polling needs the vault
//! unlocked (it reads the accounts' keys, audited); the status needs nothing.

use tallyvault::providers::accounts;
use tauri::{AppHandle, Runtime, State};

use crate::dto::{CommandError, CommandResult, PollResult, SourcesOverview};
use crate::state::AppState;

#[tauri::command(async)]
pub fn sources_overview(state: State<'_, AppState>) -> CommandResult<SourcesOverview> {
    let store = state.store()?;
    let (last_scan, last_scan_error) = state.ingest.last_scan();
    let (last_poll_at, last_poll_error) = state.ingest.last_poll();
    Ok(SourcesOverview {
        sources: tallyvault::sources::status::status(&store)?
            .into_iter()
            .map(Into::into)
            .collect(),
        accounts: accounts::list(&store)?
            .into_iter()
            .map(Into::into)
            .collect(),
        queue: accounts::queue(&store, None)?
            .into_iter()
            .map(Into::into)
            .collect(),
        last_scan,
        last_scan_error,
        watching: state.ingest.watching(),
        last_poll_at,
        last_poll_error,
    })
}

/// Polls every account once now (backfill, trailing window and due retries), with keys from the vault.
#[tauri::command]
pub async fn poll_now<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> CommandResult<Vec<PollResult>> {
    let store = state.store()?;
    let list = accounts::list(&store)?;
    if list.is_empty() {
        return Err(CommandError::from(tallyvault::Error::NotFound(
            "no provider account: add one with `tallyvault providers add`".into(),
        )));
    }
    let vault = state.vault()?;
    let reports = crate::background::poll(&app, &state, &vault, &list).await?;
    Ok(reports.into_iter().map(Into::into).collect())
}
