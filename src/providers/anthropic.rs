//! Anthropic's Admin API: `/v1/organizations/usage_report/messages` (hourly buckets grouped by model and
//! workspace) and `/v1/organizations/cost_report` (daily, grouped by workspace and description; amounts are
//! decimal strings in cents). Authenticates with `x-api-key` (admin keys) or a bearer token (OAuth).

use rust_decimal::Decimal;
use serde::Deserialize;

use super::{group_key, CostRow, Endpoint, EndpointKind, Page, ProviderApi, UsageRow, Window};
use crate::crypto::SecretString;
use crate::pricing::TokenCounts;

pub struct Anthropic;

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "messages",
        path: "/v1/organizations/usage_report/messages",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "cost_report",
        path: "/v1/organizations/cost_report",
        kind: EndpointKind::Cost,
        window_days: 31,
    },
];

#[derive(Deserialize)]
struct PageBody {
    data: Vec<Bucket>,
    has_more: bool,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct Bucket {
    starting_at: String,
    results: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct UsageResult {
    uncached_input_tokens: u64,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    output_tokens: u64,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    workspace_id: Option<String>,
    #[serde(default)]
    api_key_id: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    service_account_id: Option<String>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    context_window: Option<String>,
    #[serde(default)]
    inference_geo: Option<String>,
    #[serde(default)]
    speed: Option<String>,
}

#[derive(Deserialize, Default)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_1h_input_tokens: u64,
    #[serde(default)]
    ephemeral_5m_input_tokens: u64,
}

#[derive(Deserialize)]
struct CostResult {
    amount: String,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    workspace_id: Option<String>,
    #[serde(default)]
    cost_type: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    service_tier: Option<String>,
    #[serde(default)]
    context_window: Option<String>,
    #[serde(default)]
    inference_geo: Option<String>,
}

fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn parse_time(text: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|_| format!("bucket: starting_at {text:?} is not an RFC 3339 time"))
}

impl ProviderApi for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn default_base_url(&self) -> &'static str {
        "https://api.anthropic.com"
    }

    fn endpoints(&self) -> &'static [Endpoint] {
        ENDPOINTS
    }

    fn query(
        &self,
        endpoint: &Endpoint,
        window: Window,
        page: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut q = vec![
            ("starting_at".to_string(), rfc3339(window.start)),
            ("ending_at".to_string(), rfc3339(window.end)),
        ];
        let days = (window.end - window.start + super::DAY_SECS - 1) / super::DAY_SECS;
        match endpoint.kind {
            EndpointKind::Usage => {
                q.push(("bucket_width".into(), "1h".into()));
                q.push(("limit".into(), (days * 24).clamp(1, 168).to_string()));
                q.push(("group_by[]".into(), "model".into()));
                q.push(("group_by[]".into(), "workspace_id".into()));
            }
            EndpointKind::Cost => {
                q.push(("bucket_width".into(), "1d".into()));
                q.push(("limit".into(), days.clamp(1, 31).to_string()));
                q.push(("group_by[]".into(), "workspace_id".into()));
                q.push(("group_by[]".into(), "description".into()));
            }
        }
        if let Some(page) = page {
            q.push(("page".into(), page.to_string()));
        }
        q
    }

    fn auth_headers(&self, secret: &SecretString) -> Vec<(&'static str, String)> {
        let key = secret.expose();
        let auth = if key.starts_with("sk-ant-") {
            ("x-api-key", key.to_string())
        } else {
            ("Authorization", format!("Bearer {key}"))
        };
        vec![auth, ("anthropic-version", "2023-06-01".to_string())]
    }

    fn parse(&self, endpoint: &Endpoint, body: &[u8]) -> Result<Page, String> {
        let page: PageBody = serde_json::from_slice(body).map_err(|e| format!("page: {e}"))?;
        let next_page = if page.has_more { page.next_page } else { None };
        if page.has_more && next_page.is_none() {
            return Err("page: has_more is true but next_page is missing".into());
        }
        let mut out = Page {
            next_page,
            ..Page::default()
        };
        for bucket in page.data {
            let start = parse_time(&bucket.starting_at)?;
            for result in bucket.results {
                match endpoint.kind {
                    EndpointKind::Usage => {
                        let r: UsageResult = serde_json::from_value(result)
                            .map_err(|e| format!("messages result: {e}"))?;
                        out.usage.push(usage_row(start, r));
                    }
                    EndpointKind::Cost => {
                        let r: CostResult = serde_json::from_value(result)
                            .map_err(|e| format!("cost_report result: {e}"))?;
                        out.costs.push(cost_row(start, r)?);
                    }
                }
            }
        }
        Ok(out)
    }
}

fn usage_row(start: i64, r: UsageResult) -> UsageRow {
    let cache = r.cache_creation.unwrap_or_default();
    UsageRow {
        start,
        model: r.model.unwrap_or_default(),
        project: r.workspace_id.unwrap_or_default(),
        group: group_key(&[
            ("key", r.api_key_id),
            ("account", r.account_id),
            ("service_account", r.service_account_id),
            ("tier", r.service_tier),
            ("context", r.context_window),
            ("geo", r.inference_geo),
            ("speed", r.speed),
        ]),
        tokens: TokenCounts {
            input: r.uncached_input_tokens,
            cache_write_5m: cache.ephemeral_5m_input_tokens,
            cache_write_1h: cache.ephemeral_1h_input_tokens,
            cache_read: r.cache_read_input_tokens.unwrap_or(0),
            output: r.output_tokens,
            reasoning: 0,
        },
        // The usage report counts tokens, not requests.
        requests: 0,
        reported_cost: None,
    }
}

fn cost_row(start: i64, r: CostResult) -> Result<CostRow, String> {
    if let Some(currency) = &r.currency {
        if !currency.eq_ignore_ascii_case("usd") {
            return Err(format!(
                "cost_report result: unsupported currency {currency:?}"
            ));
        }
    }
    let cents: Decimal = r
        .amount
        .trim()
        .parse()
        .map_err(|_| "cost_report result: amount is not a decimal string".to_string())?;
    let amount = super::money(cents / Decimal::ONE_HUNDRED)
        .ok_or_else(|| "cost_report result: amount is out of range".to_string())?;
    let line_item = [
        r.description,
        r.cost_type,
        r.token_type,
        r.service_tier,
        r.context_window,
        r.inference_geo,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" | ");
    Ok(CostRow {
        start,
        model: r.model.unwrap_or_default(),
        project: r.workspace_id.unwrap_or_default(),
        line_item,
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    #[test]
    fn cost_amounts_are_cents_as_decimal_strings() {
        let body = br#"{"data":[{"ending_at":"2025-08-02T00:00:00Z","results":[{"amount":"123.78912","context_window":"0-200k","cost_type":"tokens","currency":"USD","description":"Claude Sonnet 4 Usage - Input Tokens","inference_geo":"global","model":"claude-opus-4-6","service_tier":"standard","token_type":"uncached_input_tokens","workspace_id":"wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"}],"starting_at":"2025-08-01T00:00:00Z"}],"has_more":true,"next_page":"page_MjAyNS0wNS0xNFQwMDowMDowMFo="}"#;
        let page = Anthropic.parse(&ENDPOINTS[1], body).unwrap_or_default();
        // 123.78912 cents = $1.2378912
        assert_eq!(page.costs[0].amount, Money::from_nanos(1_237_891_200));
        assert_eq!(page.costs[0].model, "claude-opus-4-6");
        assert_eq!(page.costs[0].start, 1_754_006_400);
    }

    #[test]
    fn reads_both_usage_shapes() {
        let current = br#"{"data":[{"ending_at":"2025-08-02T00:00:00Z","results":[{"account_id":"user_01","api_key_id":"apikey_01","cache_creation":{"ephemeral_1h_input_tokens":1000,"ephemeral_5m_input_tokens":500},"cache_read_input_tokens":200,"context_window":"0-200k","inference_geo":"global","model":"claude-opus-4-6","output_tokens":500,"server_tool_use":{"web_search_requests":10},"service_account_id":"svac_01","service_tier":"standard","uncached_input_tokens":1500,"workspace_id":"wrkspc_01"}],"starting_at":"2025-08-01T00:00:00Z"}],"has_more":false,"next_page":null}"#;
        let page = Anthropic.parse(&ENDPOINTS[0], current).unwrap_or_default();
        let t = page.usage[0].tokens;
        assert_eq!(
            (
                t.input,
                t.cache_write_5m,
                t.cache_write_1h,
                t.cache_read,
                t.output
            ),
            (1500, 500, 1000, 200, 500)
        );
        let old = br#"{"data":[{"starting_at":"2025-08-01T00:00:00Z","ending_at":"2025-08-02T00:00:00Z","results":[{"uncached_input_tokens":1500,"cache_creation":{"ephemeral_1h_input_tokens":1000,"ephemeral_5m_input_tokens":500},"cache_read_input_tokens":200,"output_tokens":500,"model":"claude-sonnet-4-20250514"}]}],"has_more":true,"next_page":"page_x"}"#;
        let page = Anthropic.parse(&ENDPOINTS[0], old).unwrap_or_default();
        assert_eq!(page.usage[0].model, "claude-sonnet-4-20250514");
        assert_eq!(page.next_page.as_deref(), Some("page_x"));
    }

    #[test]
    fn a_bad_amount_is_an_error_not_a_zero() {
        let body = br#"{"data":[{"starting_at":"2025-08-01T00:00:00Z","results":[{"amount":"twelve"}]}],"has_more":false,"next_page":null}"#;
        assert!(Anthropic.parse(&ENDPOINTS[1], body).is_err());
        let body = br#"{"data":[{"starting_at":"2025-08-01T00:00:00Z","results":[{"currency":"USD"}]}],"has_more":false}"#;
        let err = Anthropic
            .parse(&ENDPOINTS[1], body)
            .err()
            .unwrap_or_default();
        assert!(err.contains("amount"), "{err}");
    }
}
