//! OpenRouter: `/api/v1/activity` gives per-day, per-model usage with its cost for the last 30 completed UTC
//! days (today is excluded) in one unpaginated response; it needs a management key. The rows are both usage
//! (tokens, requests) and the bill (`usage`, dollars).

use serde::Deserialize;

use super::{
    decimal_from_json, group_key, CostRow, Endpoint, EndpointKind, Page, ProviderApi, UsageRow,
    Window, DAY_SECS,
};
use crate::crypto::SecretString;
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
    use crate::money::Money;

    #[test]
    fn reads_the_documented_activity() {
        let body = br#"{"data": [{"byok_usage_inference": 0.012, "completion_tokens": 125, "date": "2025-08-24", "endpoint_id": "550e8400-e29b-41d4-a716-446655440000", "model": "openai/gpt-4.1", "model_permaslug": "openai/gpt-4.1-2025-04-14", "prompt_tokens": 50, "provider_name": "OpenAI", "reasoning_tokens": 25, "requests": 5, "usage": 0.015}]}"#;
        let page = OpenRouter.parse(&ENDPOINTS[0], body).unwrap_or_default();
        assert_eq!(page.usage[0].tokens.input, 50);
        assert_eq!(page.usage[0].requests, 5);
        assert_eq!(page.costs[0].amount, Money::from_nanos(15_000_000));
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
