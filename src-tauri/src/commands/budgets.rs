//! Budgets and alerts: list with progress, create, edit, delete, acknowledge. No password needed.

use chrono::Utc;
use tallyvault::budget::{self, alerts, budgets};
use tauri::{AppHandle, Runtime, State};

use crate::dto::{Alert, BudgetInput, BudgetProgress, CommandResult};
use crate::notify;
use crate::state::AppState;
use crate::validate;

fn now_text() -> String {
    tallyvault::audit::format_time(Utc::now())
}

#[tauri::command(async)]
pub fn list_budgets(state: State<'_, AppState>) -> CommandResult<Vec<BudgetProgress>> {
    let statuses = budget::status(&state.store()?, Utc::now(), &state.timezone()?)?;
    Ok(statuses.into_iter().map(BudgetProgress::from).collect())
}

/// Adds a budget, then evaluates the alerts at once, so a budget that is already crossed says so.
#[tauri::command(async)]
pub fn add_budget<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    input: BudgetInput,
) -> CommandResult<i64> {
    validate::budget(&input)?;
    let store = state.store()?;
    let added = budgets::add(&store, input.spec()?, &now_text())?;
    let raised = budget::evaluate(&store, Utc::now(), state.timezone()?)?;
    notify::alerts_raised(&app, &raised);
    Ok(added.id)
}

#[tauri::command(async)]
pub fn edit_budget<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: i64,
    input: BudgetInput,
) -> CommandResult<()> {
    let id = validate::id("id", id)?;
    validate::budget(&input)?;
    let store = state.store()?;
    budgets::edit(&store, &id.to_string(), input.spec()?, &now_text())?;
    let raised = budget::evaluate(&store, Utc::now(), state.timezone()?)?;
    notify::alerts_raised(&app, &raised);
    Ok(())
}

/// Deletes a budget; its alerts stay in the history.
#[tauri::command(async)]
pub fn delete_budget(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    let id = validate::id("id", id)?;
    budgets::remove(&state.store()?, &id.to_string())?;
    Ok(())
}

/// Open and acknowledged alerts (resolved ones too with `all`), newest first.
#[tauri::command(async)]
pub fn list_alerts(state: State<'_, AppState>, all: bool) -> CommandResult<Vec<Alert>> {
    let list = alerts::list(&state.store()?, all)?;
    Ok(list.into_iter().map(Alert::from).collect())
}

#[tauri::command(async)]
pub fn acknowledge_alert(state: State<'_, AppState>, id: i64) -> CommandResult<Alert> {
    let id = validate::id("id", id)?;
    Ok(alerts::acknowledge(&state.store()?, id, &now_text())?.into())
}
