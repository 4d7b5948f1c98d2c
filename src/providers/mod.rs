//! Pollers of the providers' usage and cost APIs (OpenAI, Anthropic, OpenRouter) behind one trait.
//!
//! A provider module only knows its API: which endpoints to call, the query of one page, how to authenticate
//! and how to read a page into [`UsageRow`]s and [`CostRow`]s. Fetching (timeouts, retries, the circuit
//! breaker), storing (a window's buckets replace what was stored for that window, in one transaction) and
//! scheduling are shared (`poll.rs`, `http.rs`, `breaker.rs`, `schedule.rs`).
//!
//! Must never: put a secret in an error, a log line or a stored row; panic on provider data; add a bucket
//! twice (buckets are replaced per window, never summed).

pub mod accounts;
pub mod anthropic;
pub mod breaker;
pub mod destination;
pub mod http;
pub mod openai;
pub mod openrouter;
pub mod poll;
pub mod reconcile;
pub mod run;
pub mod schedule;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::crypto::SecretString;
use crate::money::Money;
use crate::pricing::TokenCounts;

pub const DAY_SECS: i64 = 86_400;

/// Whether an endpoint reports usage (tokens) or the bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Usage,
    Cost,
}

/// One API endpoint and how its time range is cut into windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Stable short name (stored in the retry queue and in record keys).
    pub name: &'static str,
    pub path: &'static str,
    pub kind: EndpointKind,
    /// Days per window: one window is fetched through all its pages and committed in one transaction.
    pub window_days: i64,
}

/// A half-open range of Unix seconds, aligned to UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

/// One usage bucket for one group (model, project, other group keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRow {
    /// Bucket start, Unix seconds.
    pub start: i64,
    pub model: String,
    pub project: String,
    /// The other group keys the provider returned (service tier, batch, ...), so distinct groups stay apart.
    pub group: String,
    pub tokens: TokenCounts,
    pub requests: i64,
    /// The provider's own cost of these tokens, where the usage API states it (OpenRouter).
    pub reported_cost: Option<Money>,
}

/// One billed amount for one bucket and group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRow {
    pub start: i64,
    pub model: String,
    pub project: String,
    pub line_item: String,
    pub amount: Money,
}

/// One page of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub usage: Vec<UsageRow>,
    pub costs: Vec<CostRow>,
    /// The cursor of the next page; `None` on the last.
    pub next_page: Option<String>,
}

/// What an account has left, where the provider says: OpenRouter's credits (`/api/v1/credits`, management
/// keys only) and its key's limit and usage (`/api/v1/key`). A snapshot, replaced by each poll run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub fetched_at: String,
    pub credits_total: Option<Money>,
    pub credits_used: Option<Money>,
    pub key_limit: Option<Money>,
    pub key_limit_remaining: Option<Money>,
    /// `daily`, `weekly`, `monthly` or none.
    pub key_limit_reset: Option<String>,
    pub key_usage: Option<Money>,
    pub key_usage_daily: Option<Money>,
    pub key_usage_weekly: Option<Money>,
    pub key_usage_monthly: Option<Money>,
    pub key_is_management: Option<bool>,
    pub key_expires_at: Option<String>,
    /// Why a part is missing (for example: credits need a management key).
    pub notes: Vec<String>,
}

impl Balance {
    /// Credits bought minus credits used.
    pub fn credits_remaining(&self) -> Option<Money> {
        Some(self.credits_total? - self.credits_used?)
    }
}

/// A provider's API. Implementations are pure: no I/O, no clock.
pub trait ProviderApi: Send + Sync {
    /// `openai`, `anthropic`, `openrouter`.
    fn name(&self) -> &'static str;
    fn default_base_url(&self) -> &'static str;
    fn endpoints(&self) -> &'static [Endpoint];
    /// Query parameters of one page of `window`.
    fn query(
        &self,
        endpoint: &Endpoint,
        window: Window,
        page: Option<&str>,
    ) -> Vec<(String, String)>;
    /// Authentication headers. The values hold the secret: never format them.
    fn auth_headers(&self, secret: &SecretString) -> Vec<(&'static str, String)>;
    /// Reads one page; the error says what is missing or malformed, never quoting more than the field name.
    fn parse(&self, endpoint: &Endpoint, body: &[u8]) -> Result<Page, String>;
    /// Paths of unwindowed balance endpoints fetched once per poll run (none by default).
    fn balance_paths(&self) -> &'static [&'static str] {
        &[]
    }
    /// Reads one balance endpoint's body into `balance`.
    fn parse_balance(&self, path: &str, body: &[u8], balance: &mut Balance) -> Result<(), String> {
        let _ = (path, body, balance);
        Err("this provider has no balance endpoint".into())
    }
    /// The windows that cover `[start, end)` for `endpoint`; by default consecutive `window_days` slices.
    fn windows(&self, endpoint: &Endpoint, start: i64, end: i64) -> Vec<Window> {
        split_windows(start, end, endpoint.window_days)
    }
}

/// The API of a provider name.
pub fn api(provider: &str) -> Option<&'static dyn ProviderApi> {
    match provider {
        "openai" => Some(&openai::OpenAi),
        "anthropic" => Some(&anthropic::Anthropic),
        "openrouter" => Some(&openrouter::OpenRouter),
        _ => None,
    }
}

pub const PROVIDERS: [&str; 3] = ["openai", "anthropic", "openrouter"];

/// `[start, end)` cut into windows of `days` days, the first aligned to a UTC midnight.
pub fn split_windows(start: i64, end: i64, days: i64) -> Vec<Window> {
    let mut windows = Vec::new();
    let step = days.max(1) * DAY_SECS;
    let mut at = start.div_euclid(DAY_SECS) * DAY_SECS;
    while at < end {
        let next = (at + step).min(end.div_euclid(DAY_SECS) * DAY_SECS + DAY_SECS);
        windows.push(Window {
            start: at,
            end: next,
        });
        at = next;
    }
    windows
}

/// Reads a JSON number exactly as it was written (its shortest decimal form), never through f64 arithmetic.
pub fn decimal_from_json(value: &serde_json::Number) -> Option<Decimal> {
    if let Some(i) = value.as_i64() {
        return Some(Decimal::from(i));
    }
    let text = value.to_string();
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(&text).ok())
}

/// Largest token count or request count accepted in one bucket (a quadrillion): keeps sums far from overflow.
pub const MAX_COUNT: u64 = crate::usage::MAX_COUNT;

/// Dollars to exact nano-dollars, refusing implausible amounts instead of overflowing.
pub fn money(dollars: Decimal) -> Option<Money> {
    Money::from_record_dollars(dollars)
}

/// Refuses a usage row whose counts could overflow later sums.
pub fn check_counts(row: &UsageRow) -> Result<(), String> {
    if !crate::usage::counts_are_plausible(&row.tokens, row.requests) {
        return Err(format!(
            "implausible counts in the bucket at {} for {:?}",
            row.start, row.model
        ));
    }
    Ok(())
}

/// The provider's message from an error body in any of the three documented shapes, shortened and
/// stripped of anything that looks like a key.
pub fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    // error_message runs before the caller scrubs what it sent; keep the text bounded here too
    let message = value
        .pointer("/error/message")
        .and_then(|m| m.as_str())
        .or_else(|| value.get("message").and_then(|m| m.as_str()))?;
    Some(redact(message))
}

/// Replaces key-shaped words (OpenAI echoes a masked key in its 401) and bounds the length.
pub fn redact(text: &str) -> String {
    let words: Vec<String> = text
        .split(' ')
        .map(|w| {
            let looks_like_key = w.contains("sk-")
                || w.contains("sk_")
                || (w.len() >= 24
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            if looks_like_key {
                "[redacted]".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let joined = words.join(" ");
    joined.chars().take(300).collect()
}

/// Joins the non-empty group values into one key part.
pub(crate) fn group_key(parts: &[(&str, Option<String>)]) -> String {
    parts
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name}={v}")))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_aligned_to_days() {
        let w = split_windows(DAY_SECS * 10 + 500, DAY_SECS * 25 + 7, 7);
        assert_eq!(w.first().map(|w| w.start), Some(DAY_SECS * 10));
        assert_eq!(w.last().map(|w| w.end), Some(DAY_SECS * 26));
        assert!(w.windows(2).all(|p| p[0].end == p[1].start));
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn json_numbers_are_read_as_written() {
        let n: serde_json::Number = serde_json::from_str("0.06").unwrap_or_else(|_| 0.into());
        assert_eq!(decimal_from_json(&n), Some(Decimal::new(6, 2)));
        let n: serde_json::Number = serde_json::from_str("1e-7").unwrap_or_else(|_| 0.into());
        assert_eq!(decimal_from_json(&n), Some(Decimal::new(1, 7)));
        let huge: serde_json::Number = serde_json::from_str("1e300").unwrap_or_else(|_| 0.into());
        assert_eq!(
            decimal_from_json(&huge).and_then(money),
            None,
            "refused, not a panic"
        );
        assert_eq!(money(Decimal::MAX), None);
    }

    #[test]
    fn implausible_counts_are_refused() {
        let mut row = UsageRow {
            start: 0,
            model: "m".into(),
            project: String::new(),
            group: String::new(),
            tokens: TokenCounts::default(),
            requests: 1,
            reported_cost: None,
        };
        assert!(check_counts(&row).is_ok());
        row.tokens.output = u64::MAX;
        assert!(
            check_counts(&row).is_err(),
            "u64::MAX tokens would overflow a sum"
        );
        row.tokens.output = 1;
        row.requests = -1;
        assert!(check_counts(&row).is_err());
    }

    #[test]
    fn masked_keys_are_redacted_from_messages() {
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-4sJHr***w8ZP. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        let m = error_message(body).unwrap_or_default();
        assert!(
            m.starts_with("Incorrect API key provided: [redacted]"),
            "{m}"
        );
        assert!(!m.contains("sk-4s"));
    }
}
