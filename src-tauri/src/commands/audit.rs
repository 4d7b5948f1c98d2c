//! The audit log: paged listing and verification.

use chrono::{DateTime, Utc};
use tallyvault::audit::Filter;
use tauri::State;

use crate::dto::{AuditPage, AuditQuery, AuditVerification, CommandError, CommandResult};
use crate::state::AppState;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 500;

fn parse_time(field: &str, value: Option<&str>) -> CommandResult<Option<DateTime<Utc>>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| {
                CommandError::invalid_input(format!("{field}: {text:?} is not an RFC 3339 time"))
            }),
    }
}

/// A page of events, newest first. Asks the core for one more than the page holds, to know whether an older
/// page exists.
#[tauri::command(async)]
pub fn audit_events(state: State<'_, AppState>, query: AuditQuery) -> CommandResult<AuditPage> {
    let limit = query
        .limit
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    let filter = Filter {
        since: parse_time("since", query.since.as_deref())?,
        until: parse_time("until", query.until.as_deref())?,
        action: query.action.filter(|a| !a.trim().is_empty()),
        credential_id: query.credential_id,
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
