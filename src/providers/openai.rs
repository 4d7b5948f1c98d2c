//! OpenAI's Administration API: `/v1/organization/usage/{completions,embeddings,moderations}` (hourly
//! token buckets grouped by model and project), `.../{images,audio_speeches,audio_transcriptions}` (requests
//! only: their images, characters and seconds are not tokens, and their cost is in the costs endpoint) and `/v1/organization/costs` (daily, grouped by project and line
//! item; amounts are dollars as JSON numbers). Both the 2026-05 and the current result shapes are read.

use serde::Deserialize;

use super::{
    decimal_from_json, group_key, CostRow, Endpoint, EndpointKind, Page, ProviderApi, UsageRow,
    Window,
};
use crate::crypto::SecretString;
use crate::pricing::TokenCounts;

pub struct OpenAi;

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "completions",
        path: "/v1/organization/usage/completions",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "embeddings",
        path: "/v1/organization/usage/embeddings",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "moderations",
        path: "/v1/organization/usage/moderations",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "images",
        path: "/v1/organization/usage/images",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "audio_speeches",
        path: "/v1/organization/usage/audio_speeches",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "audio_transcriptions",
        path: "/v1/organization/usage/audio_transcriptions",
        kind: EndpointKind::Usage,
        window_days: 7,
    },
    Endpoint {
        name: "costs",
        path: "/v1/organization/costs",
        kind: EndpointKind::Cost,
        window_days: 31,
    },
];

#[derive(Deserialize)]
struct PageBody {
    data: Vec<Bucket>,
    has_more: bool,
    next_page: Option<String>,
}

#[derive(Deserialize)]
struct Bucket {
    start_time: i64,
    results: Vec<serde_json::Value>,
}

/// Completions, embeddings and moderations results (the last two have no output or cache fields).
#[derive(Deserialize)]
struct UsageResult {
    input_tokens: u64,
    #[serde(default)]
    output_tokens: Option<u64>,
    num_model_requests: i64,
    #[serde(default)]
    input_cached_tokens: Option<u64>,
    #[serde(default)]
    input_cache_write_tokens: Option<u64>,
    #[serde(default)]
    input_uncached_tokens: Option<u64>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    api_key_id: Option<String>,
    #[serde(default)]
    batch: Option<bool>,
    #[serde(default)]
    service_tier: Option<String>,
}

/// Images and audio results: no tokens; requests, and group keys.
#[derive(Deserialize)]
struct CountResult {
    num_model_requests: i64,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    api_key_id: Option<String>,
    #[serde(default)]
    size: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

/// Endpoints whose results count requests, not tokens.
const COUNT_ENDPOINTS: [&str; 3] = ["images", "audio_speeches", "audio_transcriptions"];

#[derive(Deserialize)]
struct CostResult {
    amount: Amount,
    #[serde(default)]
    line_item: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
    #[serde(default)]
    api_key_id: Option<String>,
}

#[derive(Deserialize)]
struct Amount {
    value: serde_json::Number,
    #[serde(default)]
    currency: Option<String>,
}

fn field_error(what: &str, e: serde_json::Error) -> String {
    format!("{what}: {e}")
}

impl ProviderApi for OpenAi {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn default_base_url(&self) -> &'static str {
        "https://api.openai.com"
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
            ("start_time".to_string(), window.start.to_string()),
            ("end_time".to_string(), window.end.to_string()),
        ];
        let days = (window.end - window.start + super::DAY_SECS - 1) / super::DAY_SECS;
        match endpoint.kind {
            EndpointKind::Usage => {
                q.push(("bucket_width".into(), "1h".into()));
                q.push(("limit".into(), (days * 24).clamp(1, 168).to_string()));
                q.push(("group_by[]".into(), "model".into()));
                q.push(("group_by[]".into(), "project_id".into()));
            }
            EndpointKind::Cost => {
                q.push(("bucket_width".into(), "1d".into()));
                q.push(("limit".into(), days.clamp(1, 180).to_string()));
                q.push(("group_by[]".into(), "project_id".into()));
                q.push(("group_by[]".into(), "line_item".into()));
            }
        }
        if let Some(page) = page {
            q.push(("page".into(), page.to_string()));
        }
        q
    }

    fn auth_headers(&self, secret: &SecretString) -> Vec<(&'static str, String)> {
        vec![("Authorization", format!("Bearer {}", secret.expose()))]
    }

    fn parse(&self, endpoint: &Endpoint, body: &[u8]) -> Result<Page, String> {
        let page: PageBody = serde_json::from_slice(body).map_err(|e| field_error("page", e))?;
        let mut out = Page {
            next_page: if page.has_more { page.next_page } else { None },
            ..Page::default()
        };
        if page.has_more && out.next_page.is_none() {
            return Err("page: has_more is true but next_page is missing".into());
        }
        for bucket in page.data {
            for result in bucket.results {
                match endpoint.kind {
                    EndpointKind::Usage if COUNT_ENDPOINTS.contains(&endpoint.name) => {
                        let r: CountResult = serde_json::from_value(result)
                            .map_err(|e| field_error(&format!("{} result", endpoint.name), e))?;
                        out.usage.push(UsageRow {
                            start: bucket.start_time,
                            model: r.model.unwrap_or_default(),
                            project: r.project_id.unwrap_or_default(),
                            group: group_key(&[
                                ("user", r.user_id),
                                ("key", r.api_key_id),
                                ("size", r.size),
                                ("source", r.source),
                            ]),
                            tokens: TokenCounts::default(),
                            requests: r.num_model_requests,
                            reported_cost: None,
                        });
                    }
                    EndpointKind::Usage => {
                        let r: UsageResult = serde_json::from_value(result)
                            .map_err(|e| field_error(&format!("{} result", endpoint.name), e))?;
                        out.usage.push(usage_row(bucket.start_time, r));
                    }
                    EndpointKind::Cost => {
                        let r: CostResult = serde_json::from_value(result)
                            .map_err(|e| field_error("costs result", e))?;
                        out.costs.push(cost_row(bucket.start_time, r)?);
                    }
                }
            }
        }
        Ok(out)
    }
}

fn usage_row(start: i64, r: UsageResult) -> UsageRow {
    let cached = r.input_cached_tokens.unwrap_or(0);
    let cache_write = r.input_cache_write_tokens.unwrap_or(0);
    // `input_tokens` includes cached (and, in the newer shape, cache-write) tokens; the newer shape also
    // states the uncached part itself.
    let uncached = r.input_uncached_tokens.unwrap_or_else(|| {
        r.input_tokens
            .saturating_sub(cached)
            .saturating_sub(cache_write)
    });
    UsageRow {
        start,
        model: r.model.unwrap_or_default(),
        project: r.project_id.unwrap_or_default(),
        group: group_key(&[
            ("user", r.user_id),
            ("key", r.api_key_id),
            ("batch", r.batch.map(|b| b.to_string())),
            ("tier", r.service_tier),
        ]),
        tokens: TokenCounts {
            input: uncached,
            cache_write_5m: cache_write,
            cache_write_1h: 0,
            cache_read: cached,
            output: r.output_tokens.unwrap_or(0),
            reasoning: 0,
        },
        requests: r.num_model_requests,
        reported_cost: None,
    }
}

fn cost_row(start: i64, r: CostResult) -> Result<CostRow, String> {
    if let Some(currency) = &r.amount.currency {
        if !currency.eq_ignore_ascii_case("usd") {
            return Err(format!("costs result: unsupported currency {currency:?}"));
        }
    }
    let dollars = decimal_from_json(&r.amount.value)
        .ok_or_else(|| "costs result: amount.value is not a number".to_string())?;
    let amount = super::money(dollars)
        .ok_or_else(|| "costs result: amount.value is out of range".to_string())?;
    let line_item = r.line_item.unwrap_or_default();
    Ok(CostRow {
        start,
        model: String::new(),
        project: r.project_id.unwrap_or_default(),
        line_item: match r.api_key_id {
            Some(key) => format!("{line_item} [{key}]"),
            None => line_item,
        },
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    const EXAMPLES: &str = "../shared/reference/provider-apis/examples";

    fn example(name: &str) -> Option<Vec<u8>> {
        std::fs::read(format!("{}/{EXAMPLES}/{name}", env!("CARGO_MANIFEST_DIR"))).ok()
    }

    #[test]
    fn reads_both_completion_shapes() {
        let head = br#"{"object":"page","data":[{"object":"bucket","start_time":1730419200,"end_time":1730505600,"results":[{"object":"organization.usage.completions.result","input_tokens":1000,"input_cached_tokens":400,"input_cache_write_tokens":100,"input_uncached_tokens":500,"output_tokens":500,"num_model_requests":5,"project_id":null,"model":null,"new_field":{"x":1}}]}],"has_more":true,"next_page":"page_AAAAAGdGxdEiJdKOAAAAAGcqsYA="}"#;
        let page = OpenAi.parse(&ENDPOINTS[0], head).unwrap_or_default();
        assert_eq!(page.usage.len(), 1);
        assert_eq!(page.usage[0].tokens.input, 500);
        assert_eq!(page.usage[0].tokens.cache_read, 400);
        assert_eq!(page.usage[0].tokens.cache_write_5m, 100);
        assert_eq!(
            page.next_page.as_deref(),
            Some("page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=")
        );
        let old = br#"{"object":"page","data":[{"object":"bucket","start_time":1730419200,"end_time":1730505600,"results":[{"object":"organization.usage.completions.result","input_tokens":1000,"output_tokens":500,"input_cached_tokens":800,"input_audio_tokens":0,"output_audio_tokens":0,"num_model_requests":5,"project_id":null,"user_id":null,"api_key_id":null,"model":null,"batch":null,"service_tier":null}]}],"has_more":false,"next_page":null}"#;
        let page = OpenAi.parse(&ENDPOINTS[0], old).unwrap_or_default();
        assert_eq!(page.usage[0].tokens.input, 200);
        assert_eq!(page.usage[0].tokens.cache_read, 800);
        assert_eq!(page.next_page, None);
    }

    #[test]
    fn reads_the_reference_examples() {
        for (file, endpoint) in [
            ("openai_completions_head.json", &ENDPOINTS[0]),
            ("openai_completions_2026-05.json", &ENDPOINTS[0]),
            ("openai_embeddings_head.json", &ENDPOINTS[1]),
            ("openai_moderations_2026-05.json", &ENDPOINTS[2]),
            ("openai_images_head.json", &ENDPOINTS[3]),
            ("openai_images_2026-05.json", &ENDPOINTS[3]),
            ("openai_audio_speeches_head.json", &ENDPOINTS[4]),
            ("openai_audio_speeches_2026-05.json", &ENDPOINTS[4]),
            ("openai_audio_transcriptions_head.json", &ENDPOINTS[5]),
            ("openai_audio_transcriptions_2026-05.json", &ENDPOINTS[5]),
            ("openai_costs_head.json", &ENDPOINTS[6]),
            ("openai_costs_2026-05.json", &ENDPOINTS[6]),
        ] {
            // The shared reference may be absent from a clone; the inline tests above still run.
            let Some(body) = example(file) else { continue };
            let page = OpenAi.parse(endpoint, &body);
            assert!(page.is_ok(), "{file}: {page:?}");
        }
    }

    #[test]
    fn costs_are_exact_dollars() {
        let body = br#"{"object":"page","data":[{"object":"bucket","start_time":1730419200,"end_time":1730505600,"results":[{"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"},"line_item":null,"project_id":null}]}],"has_more":false,"next_page":null}"#;
        let page = OpenAi.parse(&ENDPOINTS[6], body).unwrap_or_default();
        assert_eq!(page.costs[0].amount, Money::from_nanos(60_000_000));
    }

    #[test]
    fn missing_required_fields_are_named() {
        let body = br#"{"object":"page","data":[{"object":"bucket","start_time":1,"end_time":2,"results":[{"output_tokens":5,"num_model_requests":1}]}],"has_more":false,"next_page":null}"#;
        let err = OpenAi.parse(&ENDPOINTS[0], body).err().unwrap_or_default();
        assert!(err.contains("input_tokens"), "{err}");
        let err = OpenAi
            .parse(&ENDPOINTS[0], br#"{"data":[]"#)
            .err()
            .unwrap_or_default();
        assert!(err.starts_with("page:"), "{err}");
    }
}
