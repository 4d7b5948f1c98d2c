//! The audit log: paged listing and verification.

use tallyvault::audit::Filter;
use tauri::State;

use crate::dto::{AuditPage, AuditQuery, AuditVerification, CommandResult};
use crate::state::AppState;
use crate::validate;

pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A page of events, newest first. Asks the core for one more than the page holds, to know whether an older
/// page exists.
#[tauri::command(async)]
pub fn audit_events(state: State<'_, AppState>, query: AuditQuery) -> CommandResult<AuditPage> {
    let limit = validate::page_size(query.limit, DEFAULT_PAGE_SIZE, validate::MAX_AUDIT_PAGE)?;
    validate::optional_name("action", query.action.as_deref())?;
    let filter = Filter {
        since: validate::time("since", query.since.as_deref())?,
        until: validate::time("until", query.until.as_deref())?,
        action: query.action.filter(|a| !a.trim().is_empty()),
        credential_id: query
            .credential_id
            .map(|id| validate::id("credentialId", id))
            .transpose()?,
        limit: Some(limit + 1),
        before_seq: query.before_seq,
    };
    let mut events = state.vault()?.audit_events(&filter)?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_before_seq = if more {
        events.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(AuditPage {
        events: events.into_iter().map(Into::into).collect(),
        next_before_seq,
    })
}

#[tauri::command(async)]
pub fn verify_audit(state: State<'_, AppState>) -> CommandResult<AuditVerification> {
    Ok(state.vault()?.verify_audit()?.into())
}
