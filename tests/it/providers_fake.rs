//! A fake provider on loopback (tiny_http): OpenAI's usage and costs endpoints, Anthropic's usage and
//! cost reports, and OpenRouter's activity, credits and key in their documented shapes, paginated over many pages, with faults injected by request
//! number and a truth that tests can change (late data).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After: n`.
    RateLimited(u64),
    /// 429 without `Retry-After` (a spend cap).
    SpendCap,
    ServerError,
    /// Answer after this long (longer than the client's read timeout).
    Slow(Duration),
    /// A 200 whose JSON is cut in half.
    Truncated,
    /// 401 whose message echoes the key it was sent.
    Unauthorized,
    /// A hostile 200: the key it was sent, in a field that must hold a number (so a parser error meets it).
    EchoKeyInField,
}

/// One usage group in one hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tokens {
    pub input: u64,
    pub cached: u64,
    pub output: u64,
    pub requests: i64,
}

/// (provider, endpoint, hour start, model, project)
pub type UsageKey = (String, String, i64, String, String);

#[derive(Default)]
pub struct Truth {
    pub usage: BTreeMap<UsageKey, Tokens>,
    /// (provider, day start, model, project, line item) -> amount as the provider writes it
    /// (OpenAI: dollars; Anthropic: cents as a decimal string)
    pub costs: BTreeMap<(String, i64, String, String, String), String>,
    /// OpenRouter: credits bought (a JSON number's text; `/credits` answers total_usage = every OpenRouter
    /// cost in `costs`), and whether the key is a management key (else `/credits` is refused with 403).
    pub credits_bought: Option<String>,
    pub management_key: bool,
}

pub struct FakeProvider {
    pub url: String,
    pub truth: Arc<Mutex<Truth>>,
    pub faults: Arc<Mutex<HashMap<u64, Fault>>>,
    pub requests: Arc<AtomicU64>,
    /// Every (path, query) asked, in order.
    pub log: Arc<Mutex<Vec<String>>>,
    pub secret: String,
    /// At most this many buckets per page, whatever `limit` asks.
    pub page_buckets: usize,
    /// The provider's now (Unix s): OpenRouter's activity covers the 30 completed days before it.
    pub clock: Arc<AtomicI64>,
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_of(url: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path.to_string(), pairs)
}

fn get<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp())
}

struct Answer {
    status: u16,
    body: Vec<u8>,
    retry_after: Option<u64>,
    delay: Option<Duration>,
}

impl FakeProvider {
    pub fn start(secret: &str, page_buckets: usize) -> FakeProvider {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind loopback");
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .expect("loopback port");
        let fake = FakeProvider {
            url: format!("http://127.0.0.1:{port}"),
            truth: Arc::new(Mutex::new(Truth::default())),
            faults: Arc::new(Mutex::new(HashMap::new())),
            requests: Arc::new(AtomicU64::new(0)),
            log: Arc::new(Mutex::new(Vec::new())),
            secret: secret.to_string(),
            page_buckets,
            clock: Arc::new(AtomicI64::new(chrono::Utc::now().timestamp())),
        };
        let (truth, faults, requests, log, secret) = (
            fake.truth.clone(),
            fake.faults.clone(),
            fake.requests.clone(),
            fake.log.clone(),
            fake.secret.clone(),
        );
        let page_buckets = fake.page_buckets;
        let clock = fake.clock.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
                let fault = faults.lock().map(|mut f| f.remove(&n)).unwrap_or(None);
                log.lock()
                    .map(|mut l| l.push(request.url().to_string()))
                    .ok();
                let auth_ok = request.headers().iter().any(|h| {
                    let v = h.value.as_str();
                    (h.field.equiv("authorization") && v == format!("Bearer {secret}"))
                        || (h.field.equiv("x-api-key") && v == secret)
                });
                let now = clock.load(Ordering::SeqCst);
                let answer = answer(
                    &truth,
                    now,
                    request.url(),
                    fault,
                    auth_ok,
                    &secret,
                    page_buckets,
                );
                std::thread::spawn(move || {
                    if let Some(d) = answer.delay {
                        std::thread::sleep(d);
                    }
                    let mut response =
                        tiny_http::Response::from_data(answer.body).with_status_code(answer.status);
                    if let Some(after) = answer.retry_after {
                        if let Ok(h) =
                            tiny_http::Header::from_bytes("Retry-After", after.to_string())
                        {
                            response = response.with_header(h);
                        }
                    }
                    let _ = request.respond(response);
                });
            }
        });
        fake
    }

    pub fn fault(&self, request_number: u64, fault: Fault) {
        self.faults
            .lock()
            .expect("faults")
            .insert(request_number, fault);
    }

    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn set_usage(
        &self,
        provider: &str,
        endpoint: &str,
        hour: i64,
        model: &str,
        project: &str,
        t: Tokens,
    ) {
        self.truth.lock().expect("truth").usage.insert(
            (
                provider.into(),
                endpoint.into(),
                hour,
                model.into(),
                project.into(),
            ),
            t,
        );
    }

    pub fn set_cost(
        &self,
        provider: &str,
        day: i64,
        model: &str,
        project: &str,
        line: &str,
        amount: &str,
    ) {
        self.truth.lock().expect("truth").costs.insert(
            (
                provider.into(),
                day,
                model.into(),
                project.into(),
                line.into(),
            ),
            amount.into(),
        );
    }
}

fn answer(
    truth: &Mutex<Truth>,
    now: i64,
    url: &str,
    fault: Option<Fault>,
    auth_ok: bool,
    secret: &str,
    page_buckets: usize,
) -> Answer {
    let ok = |body: Vec<u8>| Answer {
        status: 200,
        body,
        retry_after: None,
        delay: None,
    };
    let error = |status: u16, message: &str| Answer {
        status,
        body: json!({"error": {"message": message, "type": "fake", "code": null}})
            .to_string()
            .into_bytes(),
        retry_after: None,
        delay: None,
    };
    match &fault {
        Some(Fault::RateLimited(after)) => {
            return Answer {
                retry_after: Some(*after),
                ..error(429, "Rate limit exceeded")
            }
        }
        Some(Fault::SpendCap) => return error(429, "You exceeded your current quota"),
        Some(Fault::ServerError) => return error(500, "The server had an error"),
        Some(Fault::Unauthorized) => {
            return error(401, &format!("Incorrect API key provided: {secret}. You can find your API key at https://platform.openai.com/account/api-keys."))
        }
        Some(Fault::EchoKeyInField) => {
            let date = secret.to_string();
            return ok(json!({
                "data": [{"start_time": secret, "starting_at": secret, "results": []}],
                "has_more": false,
                "date": date,
            })
            .to_string()
            .into_bytes());
        }
        _ => {}
    }
    if !auth_ok {
        return error(401, "Missing or wrong key");
    }
    let (path, q) = query_of(url);
    let body = if path == "/api/v1/activity" {
        activity(truth, &q, now)
    } else if path == "/api/v1/credits" {
        if !truth.lock().is_ok_and(|t| t.management_key) {
            return Answer {
                body: json!({"error": {"code": 403, "message": "Only management keys can perform this operation"}})
                    .to_string()
                    .into_bytes(),
                ..error(403, "")
            };
        }
        credits(truth)
    } else if path == "/api/v1/key" {
        key_info(truth)
    } else {
        page(truth, &path, &q, page_buckets)
    };
    let body = match body {
        Some(body) => body,
        None => return error(404, "no such endpoint"),
    };
    let mut bytes = body.to_string().into_bytes();
    match fault {
        Some(Fault::Truncated) => {
            bytes.truncate(bytes.len() / 2);
            ok(bytes)
        }
        Some(Fault::Slow(d)) => Answer {
            delay: Some(d),
            ..ok(bytes)
        },
        _ => ok(bytes),
    }
}

/// One page of buckets: `[start, end)` cut into buckets of the asked width, `page` the bucket offset.
fn page(
    truth: &Mutex<Truth>,
    path: &str,
    q: &[(String, String)],
    page_buckets: usize,
) -> Option<Value> {
    let (provider, endpoint, anthropic) = match path {
        "/v1/organization/usage/completions" => ("openai", "completions", false),
        "/v1/organization/usage/embeddings" => ("openai", "embeddings", false),
        "/v1/organization/usage/moderations" => ("openai", "moderations", false),
        "/v1/organization/usage/images" => ("openai", "images", false),
        "/v1/organization/usage/audio_speeches" => ("openai", "audio_speeches", false),
        "/v1/organization/usage/audio_transcriptions" => ("openai", "audio_transcriptions", false),
        "/v1/organization/costs" => ("openai", "costs", false),
        "/v1/organizations/usage_report/messages" => ("anthropic", "messages", true),
        "/v1/organizations/cost_report" => ("anthropic", "cost_report", true),
        _ => return None,
    };
    let (start, end) = if anthropic {
        (
            parse_rfc3339(get(q, "starting_at")?)?,
            get(q, "ending_at")
                .and_then(parse_rfc3339)
                .unwrap_or(i64::MAX / 4),
        )
    } else {
        (
            get(q, "start_time")?.parse().ok()?,
            get(q, "end_time")
                .and_then(|e| e.parse().ok())
                .unwrap_or(i64::MAX / 4),
        )
    };
    let width = match get(q, "bucket_width").unwrap_or("1d") {
        "1h" => HOUR,
        _ => DAY,
    };
    let limit: usize = get(q, "limit").and_then(|l| l.parse().ok()).unwrap_or(7);
    let per_page = limit.min(page_buckets).max(1);
    let offset: usize = get(q, "page")
        .and_then(|p| p.strip_prefix("page_"))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let first = start.div_euclid(width) * width;
    let total = ((end - first + width - 1) / width).max(0) as usize;
    let truth = truth.lock().ok()?;
    let mut data = Vec::new();
    for i in offset..(offset + per_page).min(total) {
        let b = first + i as i64 * width;
        let mut results = Vec::new();
        if endpoint == "costs" || endpoint == "cost_report" {
            for ((p, day, model, project, line), amount) in truth.costs.range(
                (
                    provider.to_string(),
                    b,
                    String::new(),
                    String::new(),
                    String::new(),
                )..,
            ) {
                if p != provider || *day != b {
                    break;
                }
                results.push(if anthropic {
                    json!({"amount": amount, "currency": "USD", "cost_type": "tokens", "description": line,
                           "model": model, "workspace_id": if project.is_empty() { Value::Null } else { json!(project) },
                           "token_type": "uncached_input_tokens", "service_tier": "standard", "future_field": [1, 2]})
                } else {
                    let value: Value = serde_json::from_str(amount).unwrap_or(Value::Null);
                    json!({"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"},
                           "line_item": line, "project_id": project, "quantity": null, "quantity_unit": "tokens"})
                });
            }
        } else {
            let from = (
                provider.to_string(),
                endpoint.to_string(),
                b,
                String::new(),
                String::new(),
            );
            for ((p, e, hour, model, project), t) in truth.usage.range(from..) {
                if p != provider || e != endpoint || *hour >= b + width {
                    break;
                }
                let counts_only =
                    ["images", "audio_speeches", "audio_transcriptions"].contains(&endpoint);
                results.push(if counts_only {
                    json!({"object": format!("organization.usage.{endpoint}.result"), "images": t.requests,
                           "num_model_requests": t.requests, "size": "1024x1024", "source": null,
                           "project_id": project, "user_id": null, "api_key_id": null, "model": model})
                } else if anthropic {
                    json!({"uncached_input_tokens": t.input, "cache_read_input_tokens": t.cached,
                           "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
                           "output_tokens": t.output, "server_tool_use": {"web_search_requests": 0},
                           "model": model, "workspace_id": project, "api_key_id": null, "service_tier": null})
                } else {
                    json!({"object": format!("organization.usage.{endpoint}.result"),
                           "input_tokens": t.input + t.cached, "input_cached_tokens": t.cached,
                           "input_uncached_tokens": t.input, "output_tokens": t.output,
                           "num_model_requests": t.requests, "project_id": project, "user_id": null,
                           "api_key_id": null, "model": model, "batch": null, "service_tier": null})
                });
            }
        }
        data.push(if anthropic {
            json!({"starting_at": rfc3339(b), "ending_at": rfc3339(b + width), "results": results})
        } else {
            json!({"object": "bucket", "start_time": b, "end_time": b + width, "results": results})
        });
    }
    let next = offset + per_page;
    let has_more = next < total;
    let next_page = if has_more {
        json!(format!("page_{next}"))
    } else {
        Value::Null
    };
    Some(if anthropic {
        json!({"data": data, "has_more": has_more, "next_page": next_page})
    } else {
        json!({"object": "page", "data": data, "has_more": has_more, "next_page": next_page})
    })
}

/// Every OpenRouter cost in the truth, exactly.
fn openrouter_spent(truth: &Truth) -> Option<rust_decimal::Decimal> {
    truth
        .costs
        .iter()
        .filter(|(k, _)| k.0 == "openrouter")
        .map(|(_, amount)| amount.parse::<rust_decimal::Decimal>().ok())
        .sum()
}

/// OpenRouter's `/credits` in its documented shape.
fn credits(truth: &Mutex<Truth>) -> Option<Value> {
    let truth = truth.lock().ok()?;
    let bought: Value = serde_json::from_str(truth.credits_bought.as_deref()?).ok()?;
    let used: Value = serde_json::from_str(&openrouter_spent(&truth)?.to_string()).ok()?;
    Some(json!({"data": {"total_credits": bought, "total_usage": used}}))
}

/// OpenRouter's `/key`: a key without a limit whose usage is every OpenRouter cost.
fn key_info(truth: &Mutex<Truth>) -> Option<Value> {
    let truth = truth.lock().ok()?;
    let used: Value = serde_json::from_str(&openrouter_spent(&truth)?.to_string()).ok()?;
    Some(
        json!({"data": {"label": "sk-or-v1-abc...def", "limit": null, "limit_remaining": null,
                         "limit_reset": null, "usage": used, "usage_daily": 0, "usage_weekly": 0,
                         "usage_monthly": used, "is_free_tier": false,
                         "is_management_key": truth.management_key, "expires_at": null}}),
    )
}

/// OpenRouter's activity: one row per (day, model) for the 30 completed UTC days before now, or one `date`.
fn activity(truth: &Mutex<Truth>, q: &[(String, String)], now: i64) -> Option<Value> {
    let today = now.div_euclid(DAY) * DAY;
    let date = get(q, "date").map(str::to_string);
    let truth = truth.lock().ok()?;
    let mut data = Vec::new();
    for ((p, _, day, model, _), t) in &truth.usage {
        if p != "openrouter" || *day >= today || *day < today - 30 * DAY {
            continue;
        }
        let text = chrono::DateTime::from_timestamp(*day, 0)?
            .format("%Y-%m-%d")
            .to_string();
        if date.as_ref().is_some_and(|d| *d != text) {
            continue;
        }
        let usage = truth
            .costs
            .get(&(
                "openrouter".to_string(),
                *day,
                model.clone(),
                String::new(),
                String::new(),
            ))
            .and_then(|a| serde_json::from_str::<Value>(a).ok())
            .unwrap_or(json!(0));
        data.push(json!({"date": text, "model": model, "model_permaslug": model, "endpoint_id": "ep-1",
                         "provider_name": "OpenAI", "usage": usage, "byok_usage_inference": 0,
                         "requests": t.requests, "prompt_tokens": t.input, "completion_tokens": t.output,
                         "reasoning_tokens": 0}));
    }
    Some(json!({"data": data}))
}
