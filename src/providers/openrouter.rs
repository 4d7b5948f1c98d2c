//! OpenRouter: `/api/v1/activity` gives per-day, per-model usage with its cost for the last 30 completed UTC
//! days (today is excluded) in one unpaginated response; it needs a management key. The rows are both usage
//! (tokens, requests) and the bill (`usage`, dollars).

use serde::Deserialize;

use super::{
    decimal_from_json, group_key, Balance, CostRow, Endpoint, EndpointKind, Page, ProviderApi,
    UsageRow, Window, DAY_SECS,
};
use crate::crypto::SecretString;
use crate::money::Money;
use crate::pricing::TokenCounts;

pub struct OpenRouter;

const ENDPOINTS: &[Endpoint] = &[Endpoint {
    name: "activity",
    path: "/api/v1/activity",
    kind: EndpointKind::Usage,
    window_days: 30,
}];

/// How many completed days the activity endpoint covers.
pub const ACTIVITY_DAYS: i64 = 30;

#[derive(Deserialize)]
struct Body {
    data: Vec<Activity>,
}

#[derive(Deserialize)]
struct Activity {
    date: String,
    model: String,
    usage: serde_json::Number,
    requests: i64,
    prompt_tokens: u64,
    completion_tokens: u64,
    #[serde(default)]
    reasoning_tokens: Option<u64>,
    #[serde(default)]
    provider_name: Option<String>,
    #[serde(default)]
    endpoint_id: Option<String>,
    #[serde(default)]
    workspace_id: Option<String>,
}

pub const CREDITS_PATH: &str = "/api/v1/credits";
pub const KEY_PATH: &str = "/api/v1/key";

#[derive(Deserialize)]
struct Wrapped<T> {
    data: T,
}

#[derive(Deserialize)]
struct Credits {
    total_credits: serde_json::Number,
    total_usage: serde_json::Number,
}

/// `/key`: every field but `usage` may be null or absent (a key without a limit has `limit: null`).
#[derive(Deserialize)]
struct KeyInfo {
    usage: serde_json::Number,
    #[serde(default)]
    limit: Option<serde_json::Number>,
    #[serde(default)]
    limit_remaining: Option<serde_json::Number>,
    #[serde(default)]
    limit_reset: Option<String>,
    #[serde(default)]
    usage_daily: Option<serde_json::Number>,
    #[serde(default)]
    usage_weekly: Option<serde_json::Number>,
    #[serde(default)]
    usage_monthly: Option<serde_json::Number>,
    #[serde(default)]
    is_management_key: Option<bool>,
    #[serde(default)]
    expires_at: Option<String>,
}

fn amount(field: &str, value: &serde_json::Number) -> Result<Money, String> {
    decimal_from_json(value)
        .and_then(super::money)
        .ok_or_else(|| format!("{field} is not an amount"))
}

fn optional_amount(
    field: &str,
    value: &Option<serde_json::Number>,
) -> Result<Option<Money>, String> {
    value.as_ref().map(|v| amount(field, v)).transpose()
}

impl ProviderApi for OpenRouter {
    fn name(&self) -> &'static str {
        "openrouter"
    }

    fn default_base_url(&self) -> &'static str {
        "https://openrouter.ai"
    }

    fn endpoints(&self) -> &'static [Endpoint] {
        ENDPOINTS
    }

    fn query(
        &self,
        _endpoint: &Endpoint,
        window: Window,
        _page: Option<&str>,
    ) -> Vec<(String, String)> {
        // One day is asked for by date; a longer window takes the whole 30 days and keeps its own rows.
        if window.end - window.start == DAY_SECS {
            if let Some(day) = chrono::DateTime::from_timestamp(window.start, 0) {
                return vec![("date".into(), day.format("%Y-%m-%d").to_string())];
            }
        }
        Vec::new()
    }

    fn auth_headers(&self, secret: &SecretString) -> Vec<(&'static str, String)> {
        vec![("Authorization", format!("Bearer {}", secret.expose()))]
    }

    fn parse(&self, _endpoint: &Endpoint, body: &[u8]) -> Result<Page, String> {
        let body: Body = serde_json::from_slice(body).map_err(|e| format!("activity: {e}"))?;
        let mut page = Page::default();
        for a in body.data {
            let day = chrono::NaiveDate::parse_from_str(&a.date, "%Y-%m-%d")
                .map_err(|_| format!("activity: date {:?} is not YYYY-MM-DD", a.date))?;
            let start = day
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc().timestamp())
                .ok_or_else(|| "activity: bad date".to_string())?;
            let cost = decimal_from_json(&a.usage)
                .and_then(super::money)
                .ok_or_else(|| "activity: usage is not an amount".to_string())?;
            let group = group_key(&[("provider", a.provider_name), ("endpoint", a.endpoint_id)]);
            let project = a.workspace_id.unwrap_or_default();
            page.costs.push(CostRow {
                start,
                model: a.model.clone(),
                project: project.clone(),
                line_item: group.clone(),
                amount: cost,
            });
            page.usage.push(UsageRow {
                start,
                model: a.model,
                project,
                group,
                tokens: TokenCounts {
                    input: a.prompt_tokens,
                    output: a.completion_tokens,
                    reasoning: a.reasoning_tokens.unwrap_or(0),
                    ..TokenCounts::default()
                },
                requests: a.requests,
                reported_cost: Some(cost),
            });
        }
        Ok(page)
    }

    fn balance_paths(&self) -> &'static [&'static str] {
        &[KEY_PATH, CREDITS_PATH]
    }

    fn parse_balance(&self, path: &str, body: &[u8], balance: &mut Balance) -> Result<(), String> {
        match path {
            CREDITS_PATH => {
                let c: Wrapped<Credits> =
                    serde_json::from_slice(body).map_err(|e| format!("credits: {e}"))?;
                balance.credits_total =
                    Some(amount("credits: total_credits", &c.data.total_credits)?);
                balance.credits_used = Some(amount("credits: total_usage", &c.data.total_usage)?);
                Ok(())
            }
            KEY_PATH => {
                let k: Wrapped<KeyInfo> =
                    serde_json::from_slice(body).map_err(|e| format!("key: {e}"))?;
                let k = k.data;
                balance.key_usage = Some(amount("key: usage", &k.usage)?);
                balance.key_limit = optional_amount("key: limit", &k.limit)?;
                balance.key_limit_remaining =
                    optional_amount("key: limit_remaining", &k.limit_remaining)?;
                balance.key_usage_daily = optional_amount("key: usage_daily", &k.usage_daily)?;
                balance.key_usage_weekly = optional_amount("key: usage_weekly", &k.usage_weekly)?;
                balance.key_usage_monthly =
                    optional_amount("key: usage_monthly", &k.usage_monthly)?;
                balance.key_limit_reset = k.limit_reset;
                balance.key_is_management = k.is_management_key;
                balance.key_expires_at = k.expires_at;
                Ok(())
            }
            _ => Err(format!("no balance endpoint {path}")),
        }
    }

    fn windows(&self, _endpoint: &Endpoint, start: i64, end: i64) -> Vec<Window> {
        // Only completed days exist: from at most 30 days before today up to today's midnight.
        let today = end.div_euclid(DAY_SECS) * DAY_SECS;
        let first = start
            .div_euclid(DAY_SECS)
            .max(today / DAY_SECS - ACTIVITY_DAYS)
            * DAY_SECS;
        if first >= today {
            return Vec::new();
        }
        if today - first <= DAY_SECS * 3 {
            // A trailing re-fetch: a request per day is cheaper than the whole month.
            return super::split_windows(first, today, 1)
                .into_iter()
                .filter(|w| w.end <= today)
                .collect();
        }
        vec![Window {
            start: first,
            end: today,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_activity() {
        let body = br#"{"data": [{"byok_usage_inference": 0.012, "completion_tokens": 125, "date": "2025-08-24", "endpoint_id": "550e8400-e29b-41d4-a716-446655440000", "model": "openai/gpt-4.1", "model_permaslug": "openai/gpt-4.1-2025-04-14", "prompt_tokens": 50, "provider_name": "OpenAI", "reasoning_tokens": 25, "requests": 5, "usage": 0.015}]}"#;
        let page = OpenRouter.parse(&ENDPOINTS[0], body).unwrap_or_default();
        assert_eq!(page.usage[0].tokens.input, 50);
        assert_eq!(page.usage[0].requests, 5);
        assert_eq!(page.costs[0].amount, Money::from_nanos(15_000_000));
    }

    #[test]
    fn reads_the_documented_credits_and_key() {
        let mut b = Balance::default();
        let credits = br#"{"data": {"total_credits": 100.5, "total_usage": 25.75}}"#;
        assert_eq!(
            OpenRouter.parse_balance(CREDITS_PATH, credits, &mut b),
            Ok(())
        );
        assert_eq!(
            b.credits_remaining(),
            Some(Money::from_nanos(74_750_000_000))
        );
        let key = br#"{"data": {"byok_usage": 17.38, "byok_usage_daily": 17.38, "byok_usage_monthly": 17.38, "byok_usage_weekly": 17.38, "creator_user_id": "user_2dHFtVWx2n56w6HkM0000000000", "expires_at": "2027-12-31T23:59:59Z", "include_byok_in_limit": false, "is_free_tier": false, "is_management_key": false, "is_provisioning_key": false, "label": "sk-or-v1-au7...890", "limit": 100, "limit_remaining": 74.5, "limit_reset": "monthly", "rate_limit": {"interval": "1h", "note": "This field is deprecated and safe to ignore.", "requests": 1000}, "usage": 25.5, "usage_daily": 25.5, "usage_monthly": 25.5, "usage_weekly": 25.5}}"#;
        assert_eq!(OpenRouter.parse_balance(KEY_PATH, key, &mut b), Ok(()));
        assert_eq!(b.key_limit, Some(Money::from_nanos(100_000_000_000)));
        assert_eq!(
            b.key_limit_remaining,
            Some(Money::from_nanos(74_500_000_000))
        );
        assert_eq!(b.key_usage_monthly, Some(Money::from_nanos(25_500_000_000)));
        assert_eq!(b.key_limit_reset.as_deref(), Some("monthly"));
        assert_eq!(b.key_is_management, Some(false));
        // A key without a limit, and a response missing the required field.
        let unlimited = br#"{"data": {"usage": 0, "limit": null, "limit_remaining": null}}"#;
        assert_eq!(
            OpenRouter.parse_balance(KEY_PATH, unlimited, &mut b),
            Ok(())
        );
        assert_eq!(b.key_limit, None);
        let missing = br#"{"data": {"limit": 5}}"#;
        let err = OpenRouter.parse_balance(KEY_PATH, missing, &mut b);
        assert!(err.is_err_and(|e| e.contains("usage")));
        let truncated = br#"{"data": {"total_credits": 100.5, "tot"#;
        assert!(OpenRouter
            .parse_balance(CREDITS_PATH, truncated, &mut b)
            .is_err());
    }

    #[test]
    fn windows_exclude_today() {
        let now = DAY_SECS * 100 + 3600;
        let w = OpenRouter.windows(&ENDPOINTS[0], now - 40 * DAY_SECS, now);
        assert_eq!(
            w,
            vec![Window {
                start: DAY_SECS * 70,
                end: DAY_SECS * 100
            }]
        );
        let w = OpenRouter.windows(&ENDPOINTS[0], now - 2 * DAY_SECS, now);
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.end <= DAY_SECS * 100));
    }
}
