//! Every input that crosses IPC is checked here before it reaches the core: sizes (passwords, secrets, `.env`
//! text, names, filter lists, paths, page sizes, chart ranges) and formats (dates, times, provider ids, ids,
//! paths). A refusal is an `invalid_input` `{code, message}` that names the field and the rule, never the value
//! of a password or secret. What the core already checks (labels, notes, budgets' rules, amounts, usage page
//! sizes) is left to it, so each rule lives in one place.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use tallyvault::vault::Provider;

use crate::dto::{BudgetInput, CommandError, CommandResult, UsageQuery};

/// A master password's longest form, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// A pasted secret's largest size: the vault's own limit.
pub const MAX_SECRET_BYTES: usize = tallyvault::vault::MAX_SECRET_BYTES;
/// The largest `.env` text imported in one go.
pub const MAX_ENV_BYTES: usize = 1024 * 1024;
/// The longest path the user may type for an export.
pub const MAX_PATH_BYTES: usize = 4096;
/// Names: filter values, budget scopes, audit actions, sort keys, dollar amounts, thresholds.
pub const MAX_NAME_CHARS: usize = 200;
/// Values in one filter list of the usage explorer.
pub const MAX_FILTER_VALUES: usize = 500;
/// Audit events on one page.
pub const MAX_AUDIT_PAGE: u32 = 500;
/// Days a chart covers.
pub const MAX_CHART_DAYS: u32 = tallyvault::dashboard::MAX_CHART_DAYS;

fn invalid(message: impl Into<String>) -> CommandError {
    CommandError::invalid_input(message)
}

/// The first characters of a refused value, for the message: a pasted blob is never echoed whole.
fn clip(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

/// A password typed to create, unlock or export: 1 to [`MAX_PASSWORD_BYTES`] bytes. Never quoted.
pub fn password(value: &str) -> CommandResult<()> {
    if value.is_empty() {
        return Err(invalid("the password must not be empty"));
    }
    if value.len() > MAX_PASSWORD_BYTES {
        return Err(invalid(format!(
            "the password is longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    Ok(())
}

/// A pasted secret: at most [`MAX_SECRET_BYTES`]. Never quoted.
pub fn secret(value: &str) -> CommandResult<()> {
    if value.len() > MAX_SECRET_BYTES {
        return Err(invalid(format!(
            "the secret is larger than {MAX_SECRET_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The text of a `.env` file: at most [`MAX_ENV_BYTES`]. Never quoted (it holds secrets).
pub fn env_text(value: &str) -> CommandResult<()> {
    if value.len() > MAX_ENV_BYTES {
        return Err(invalid(format!(
            "the .env text is larger than {} KiB",
            MAX_ENV_BYTES / 1024
        )));
    }
    Ok(())
}

/// A short name (filter value, scope, action, sort key): at most [`MAX_NAME_CHARS`] characters, no control
/// characters.
pub fn name(field: &str, value: &str) -> CommandResult<()> {
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "{field} must have at most {MAX_NAME_CHARS} characters"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(())
}

/// Like [`name`], for an optional one.
pub fn optional_name(field: &str, value: Option<&str>) -> CommandResult<()> {
    value.map_or(Ok(()), |v| name(field, v))
}

/// A list of names: at most [`MAX_FILTER_VALUES`], each a [`name`].
pub fn names(field: &str, values: &[String]) -> CommandResult<()> {
    if values.len() > MAX_FILTER_VALUES {
        return Err(invalid(format!(
            "{field} may list at most {MAX_FILTER_VALUES} values"
        )));
    }
    values.iter().try_for_each(|v| name(field, v))
}

/// A row id: 1 or more.
pub fn id(field: &str, value: i64) -> CommandResult<i64> {
    if value < 1 {
        return Err(invalid(format!("{field} must be a positive id")));
    }
    Ok(value)
}

/// A path the user typed for a new file: at most [`MAX_PATH_BYTES`], no NUL, absolute, and not an existing
/// file.
pub fn new_file_path(text: &str) -> CommandResult<PathBuf> {
    let text = text.trim();
    if text.len() > MAX_PATH_BYTES {
        return Err(invalid(format!(
            "the path is longer than {MAX_PATH_BYTES} bytes"
        )));
    }
    if text.contains('\0') {
        return Err(invalid("the path must not contain a NUL character"));
    }
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(invalid("give the file's full path, starting with /"));
    }
    if path.exists() {
        return Err(invalid(format!(
            "{} already exists: choose another name",
            path.display()
        )));
    }
    Ok(path)
}

/// An optional local date, `YYYY-MM-DD`; empty is none.
pub fn date(field: &str, value: Option<&str>) -> CommandResult<Option<NaiveDate>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(format!("{field}: {:?} is not YYYY-MM-DD", clip(text)))),
    }
}

/// An optional RFC 3339 time; empty is none.
pub fn time(field: &str, value: Option<&str>) -> CommandResult<Option<DateTime<Utc>>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| invalid(format!("{field}: {:?} is not an RFC 3339 time", clip(text)))),
    }
}

/// An optional provider id (one of the vault's providers); empty is none (detect it from the key). Not
/// quoted when refused: the field sits beside the secret, and a key pasted into it must not come back.
pub fn provider(value: Option<&str>) -> CommandResult<Option<Provider>> {
    match value.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(None),
        Some(text) => Provider::parse(text).map(Some).ok_or_else(|| {
            invalid(format!(
                "unknown provider: expected one of {}",
                Provider::ALL.map(|p| p.as_str()).join(", ")
            ))
        }),
    }
}

/// A page size: `None` is `default`; otherwise 1 to `max`.
pub fn page_size(value: Option<u32>, default: u32, max: u32) -> CommandResult<u32> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(invalid(format!("a page holds 1 to {max} rows"))),
    }
}

/// Days a chart covers: 1 to [`MAX_CHART_DAYS`].
pub fn chart_days(value: u32) -> CommandResult<u32> {
    if !(1..=MAX_CHART_DAYS).contains(&value) {
        return Err(invalid(format!(
            "the chart covers 1 to {MAX_CHART_DAYS} days"
        )));
    }
    Ok(value)
}

/// The usage explorer's query: dates, filter lists, sort key. The page size is the core's
/// (`report::explore::MAX_PAGE`).
pub fn usage_query(query: &UsageQuery) -> CommandResult<(Option<NaiveDate>, Option<NaiveDate>)> {
    names("sources", &query.sources)?;
    names("providers", &query.providers)?;
    names("models", &query.models)?;
    names("projects", &query.projects)?;
    name("sort", &query.sort)?;
    Ok((
        date("since", query.since.as_deref())?,
        date("until", query.until.as_deref())?,
    ))
}

/// A budget's text fields; its rules (amount, period, cycle day, thresholds, name) are the core's.
pub fn budget(input: &BudgetInput) -> CommandResult<()> {
    name("name", &input.name)?;
    name("amount", &input.amount)?;
    name("period", &input.period)?;
    name("thresholds", &input.thresholds)?;
    optional_name("provider", input.scope.provider.as_deref())?;
    optional_name("model", input.scope.model.as_deref())?;
    optional_name("project", input.scope.project.as_deref())?;
    optional_name("source", input.scope.source.as_deref())?;
    if let Some(provider) = input.scope.provider.as_deref() {
        provider_id(provider)?;
    }
    Ok(())
}

/// A provider id as usage records name them: lower-case ASCII letters, digits, `-`, `_`, `.`.
pub fn provider_id(value: &str) -> CommandResult<()> {
    let ok = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(invalid(format!(
            "provider {:?}: use lower-case letters, digits, '-', '_' or '.'",
            clip(value)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::{BudgetScope, ErrorCode};

    fn refused<T: std::fmt::Debug>(result: CommandResult<T>) -> String {
        match result {
            Err(CommandError {
                code: ErrorCode::InvalidInput,
                message,
            }) => message,
            other => panic!("expected invalid_input, got {other:?}"),
        }
    }

    #[test]
    fn passwords_secrets_and_env_text_are_bounded_and_never_quoted() {
        assert!(password("x").is_ok());
        assert!(refused(password("")).contains("empty"));
        let long = "p".repeat(MAX_PASSWORD_BYTES + 1);
        let message = refused(password(&long));
        assert!(message.contains("longer") && !message.contains("ppp"));
        assert!(secret(&"s".repeat(MAX_SECRET_BYTES)).is_ok());
        let message = refused(secret(&"s".repeat(MAX_SECRET_BYTES + 1)));
        assert!(message.contains("larger") && !message.contains("sss"));
        assert!(env_text(&"A=b\n".repeat(1000)).is_ok());
        let message = refused(env_text(&"K=SECRET\n".repeat(MAX_ENV_BYTES / 8 + 1)));
        assert!(message.contains("KiB") && !message.contains("SECRET"));
    }

    #[test]
    fn names_and_lists_are_bounded() {
        assert!(name("models", "claude-*").is_ok());
        assert!(refused(name("models", &"m".repeat(MAX_NAME_CHARS + 1))).contains("models"));
        assert!(refused(name("project", "a\nb")).contains("control"));
        assert!(names("models", &vec!["m".to_string(); MAX_FILTER_VALUES]).is_ok());
        assert!(refused(names(
            "models",
            &vec!["m".to_string(); MAX_FILTER_VALUES + 1]
        ))
        .contains("at most"));
        assert!(refused(names("projects", &["ok".into(), "\u{7}".into()])).contains("control"));
    }

    #[test]
    fn ids_pages_and_chart_days_are_in_range() {
        assert_eq!(id("id", 3).expect("id"), 3);
        assert!(refused(id("id", 0)).contains("positive"));
        assert!(refused(id("id", -5)).contains("positive"));
        assert_eq!(page_size(None, 50, 500).expect("default"), 50);
        assert_eq!(page_size(Some(500), 50, 500).expect("max"), 500);
        assert!(refused(page_size(Some(0), 50, 500)).contains("1 to 500"));
        assert!(refused(page_size(Some(501), 50, 500)).contains("1 to 500"));
        assert_eq!(chart_days(30).expect("days"), 30);
        assert!(refused(chart_days(0)).contains("days"));
        assert!(refused(chart_days(u32::MAX)).contains("days"));
    }

    #[test]
    fn dates_times_and_providers_have_one_format() {
        assert_eq!(
            date("since", Some(" 2026-11-01 ")).expect("date"),
            NaiveDate::from_ymd_opt(2026, 11, 1)
        );
        assert_eq!(date("since", Some("")).expect("empty"), None);
        assert!(refused(date("since", Some("11/01/2026"))).contains("since"));
        assert!(refused(date("until", Some("2026-02-30"))).contains("until"));
        assert!(time("since", Some("2026-11-01T10:00:00+01:00"))
            .expect("time")
            .is_some());
        assert!(refused(time("since", Some("yesterday"))).contains("RFC 3339"));
        assert_eq!(
            provider(Some("OpenAI")).expect("known"),
            Some(Provider::OpenAI)
        );
        assert_eq!(provider(None).expect("none"), None);
        let message = refused(provider(Some(&"sk-ant-api03-".repeat(20))));
        assert!(
            message.contains("unknown provider") && message.len() < 300,
            "{message}"
        );
        assert!(provider_id("openai").is_ok());
        assert!(refused(provider_id("Open AI")).contains("lower-case"));
    }

    #[test]
    fn new_file_paths_are_absolute_new_and_bounded() {
        let dir = tempfile::tempdir().expect("dir");
        let fresh = dir.path().join("out.csv");
        assert_eq!(
            new_file_path(&fresh.display().to_string()).expect("new"),
            fresh
        );
        assert!(refused(new_file_path("relative.csv")).contains("full path"));
        assert!(refused(new_file_path(&dir.path().display().to_string())).contains("exists"));
        assert!(refused(new_file_path("/tmp/a\0b")).contains("NUL"));
        let long = format!("/{}", "d".repeat(MAX_PATH_BYTES));
        assert!(refused(new_file_path(&long)).contains("longer"));
    }

    #[test]
    fn usage_queries_and_budgets_are_checked_field_by_field() {
        let query = UsageQuery {
            since: Some("2026-13-01".into()),
            ..UsageQuery::default()
        };
        assert!(refused(usage_query(&query)).contains("since"));
        let query = UsageQuery {
            projects: vec!["p".repeat(MAX_NAME_CHARS + 1)],
            ..UsageQuery::default()
        };
        assert!(refused(usage_query(&query)).contains("projects"));
        assert!(usage_query(&UsageQuery::default()).is_ok());

        let budget_input = |scope: BudgetScope, amount: &str| BudgetInput {
            name: "monthly".into(),
            amount: amount.into(),
            period: "month".into(),
            cycle_day: None,
            scope,
            thresholds: String::new(),
            forecast_alert: true,
        };
        assert!(budget(&budget_input(BudgetScope::default(), "100")).is_ok());
        assert!(refused(budget(&budget_input(
            BudgetScope::default(),
            &"9".repeat(500)
        )))
        .contains("amount"));
        let scope = BudgetScope {
            provider: Some("OpenAI!".into()),
            ..BudgetScope::default()
        };
        assert!(refused(budget(&budget_input(scope, "100"))).contains("provider"));
        let scope = BudgetScope {
            model: Some("*".repeat(MAX_NAME_CHARS + 1)),
            ..BudgetScope::default()
        };
        assert!(refused(budget(&budget_input(scope, "100"))).contains("model"));
    }
}
