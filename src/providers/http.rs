//! HTTP for pollers: a blocking transport (ureq, run on `spawn_blocking`) behind a trait so tests can script
//! responses, and the retry loop: exponential backoff with full jitter on 5xx, timeouts and connection
//! failures; `Retry-After` honoured on 429; no retry on a 429 without `Retry-After` (a spend cap), on 401/403
//! or on other 4xx. Errors never quote the request (its headers hold the key).

use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// A request failure before a status line, described without the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    Timeout,
    Connect(String),
    Other(String),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Timeout => f.write_str("timed out"),
            TransportError::Connect(m) | TransportError::Other(m) => f.write_str(m),
        }
    }
}

/// Header values hold the key: kept in zeroizing strings, never formatted.
pub type Headers = Arc<Vec<(&'static str, Zeroizing<String>)>>;

pub trait Transport: Send + Sync + 'static {
    fn get(
        &self,
        url: &str,
        query: &[(String, String)],
        headers: &Headers,
    ) -> Result<HttpResponse, TransportError>;
}

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Per read: waiting for the response head, then for the body.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(60),
        }
    }
}

/// The real transport.
pub struct UreqTransport {
    agent: ureq::Agent,
}

/// Largest response body read (a month of hourly buckets for many models is a few MB).
const MAX_BODY: u64 = 256 * 1024 * 1024;

impl UreqTransport {
    pub fn new(timeouts: Timeouts) -> UreqTransport {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeouts.connect))
            .timeout_recv_response(Some(timeouts.read))
            .timeout_recv_body(Some(timeouts.read))
            .build()
            .into();
        UreqTransport { agent }
    }
}

fn describe(error: &ureq::Error) -> TransportError {
    match error {
        ureq::Error::Timeout(_) => TransportError::Timeout,
        ureq::Error::HostNotFound => TransportError::Connect("host not found".into()),
        ureq::Error::ConnectionFailed => TransportError::Connect("connection failed".into()),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => TransportError::Timeout,
        ureq::Error::Io(e) => TransportError::Other(format!("I/O error ({:?})", e.kind())),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            TransportError::Other("bad request URL".into())
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => {
            TransportError::Connect("TLS error".into())
        }
        _ => TransportError::Other("the request failed".into()),
    }
}

impl Transport for UreqTransport {
    fn get(
        &self,
        url: &str,
        query: &[(String, String)],
        headers: &Headers,
    ) -> Result<HttpResponse, TransportError> {
        let mut request = self.agent.get(url);
        for (k, v) in query {
            request = request.query(k, v);
        }
        for (k, v) in headers.iter() {
            request = request.header(*k, v.as_str());
        }
        let mut response = request.call().map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| describe(&e))?;
        Ok(HttpResponse {
            status,
            retry_after,
            body,
        })
    }
}

/// `Retry-After` in seconds (the form the providers send); an HTTP date is read relative to now.
pub fn parse_retry_after(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.timestamp() - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.clamp(0, 86_400) as u64))
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    /// A longer `Retry-After` is not waited for inside a run: the window fails and is queued instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: uniform in [0, min(cap, base · 2^retry)].
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX))
            .min(self.cap);
        let ms = ceiling.as_millis() as u64;
        Duration::from_millis(if ms == 0 { 0 } else { random_u64() % (ms + 1) })
    }
}

pub fn random_u64() -> u64 {
    let bytes = crate::crypto::random_bytes(8);
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(b)
}

/// Why a request (after its retries) or a window failed. Displayed in the queue and status; holds no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// 401/403: the key is wrong or lacks the scope; the account stops.
    Auth {
        status: u16,
        message: String,
    },
    /// 429 without `Retry-After` (a spend cap or a hard limit): back off long.
    SpendCap {
        message: String,
    },
    Status {
        status: u16,
        message: String,
    },
    Transport(TransportError),
    Malformed(String),
    CircuitOpen,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Auth { status, message } => write!(f, "HTTP {status}: {message}"),
            FetchError::SpendCap { message } => {
                write!(f, "HTTP 429 without Retry-After (spend cap?): {message}")
            }
            FetchError::Status { status, message } => write!(f, "HTTP {status}: {message}"),
            FetchError::Transport(e) => write!(f, "{e}"),
            FetchError::Malformed(m) => write!(f, "malformed response: {m}"),
            FetchError::CircuitOpen => f.write_str("circuit open: not requested"),
        }
    }
}

/// The provider's message, with anything we sent in a header cut out (a provider may echo the key).
fn message_of(response: &HttpResponse, headers: &Headers) -> String {
    let message = super::error_message(&response.body).unwrap_or_else(|| "no message".to_string());
    scrub(message, headers)
}

/// Cuts anything we sent in a secret header out of `message`: a hostile provider can echo the key anywhere,
/// in an error body or in a field whose parse error quotes it.
pub fn scrub(mut message: String, headers: &Headers) -> String {
    let secret_headers = headers.iter().filter(|(name, _)| {
        name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-api-key")
    });
    for (_, value) in secret_headers {
        for part in value.split(' ').filter(|p| p.len() >= 8) {
            if message.contains(part) {
                message = message.replace(part, "[redacted]");
            }
        }
    }
    message
}

/// GETs one page with retries; `requests` counts every HTTP request made.
/// The path of a URL, for log lines: no scheme, host or query (a proxy's URL may carry credentials).
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

pub async fn get_with_retry(
    transport: &Arc<dyn Transport>,
    url: &str,
    query: Vec<(String, String)>,
    headers: &Headers,
    policy: &RetryPolicy,
    requests: &mut u64,
) -> Result<Vec<u8>, FetchError> {
    let query = Arc::new(query);
    let url: Arc<str> = Arc::from(url);
    let attempts = policy.attempts.max(1);
    let mut last = FetchError::CircuitOpen;
    for attempt in 0..attempts {
        *requests += 1;
        let (t, u, q, h) = (
            transport.clone(),
            url.clone(),
            query.clone(),
            headers.clone(),
        );
        tracing::debug!(target: "tallyvault::providers", path = %path_of(&url), attempt = attempt + 1, "GET");
        let outcome = tokio::task::spawn_blocking(move || t.get(&u, &q, &h))
            .await
            .unwrap_or_else(|_| Err(TransportError::Other("the request task failed".into())));
        let wait = match outcome {
            Ok(r) if (200..300).contains(&r.status) => return Ok(r.body),
            Ok(r) if r.status == 401 || r.status == 403 => {
                return Err(FetchError::Auth {
                    status: r.status,
                    message: message_of(&r, headers),
                })
            }
            Ok(r) if r.status == 429 => match r.retry_after {
                None => {
                    return Err(FetchError::SpendCap {
                        message: message_of(&r, headers),
                    })
                }
                Some(after) => {
                    last = FetchError::Status {
                        status: 429,
                        message: message_of(&r, headers),
                    };
                    if after > policy.max_retry_after {
                        return Err(last);
                    }
                    // Honour the server's minimum, plus a little jitter so accounts do not stampede.
                    after + policy.backoff(0) / 4
                }
            },
            Ok(r) if r.status >= 500 || r.status == 408 => {
                last = FetchError::Status {
                    status: r.status,
                    message: message_of(&r, headers),
                };
                policy.backoff(attempt)
            }
            Ok(r) => {
                return Err(FetchError::Status {
                    status: r.status,
                    message: message_of(&r, headers),
                })
            }
            Err(e) => {
                last = FetchError::Transport(e);
                policy.backoff(attempt)
            }
        };
        if attempt + 1 < attempts {
            tracing::warn!(
                target: "tallyvault::providers",
                path = %path_of(&url),
                attempt = attempt + 1,
                wait_ms = wait.as_millis() as u64,
                error = %last,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
    tracing::warn!(target: "tallyvault::providers", path = %path_of(&url), attempts, error = %last, "giving up");
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_name_only_the_path() {
        assert_eq!(
            path_of("https://user:pw@proxy.example/v1/organization/costs?x=1"),
            "/v1/organization/costs"
        );
        assert_eq!(path_of("http://127.0.0.1:9/api/v1/key"), "/api/v1/key");
        assert_eq!(path_of("no-scheme"), "/");
    }

    #[test]
    fn retry_after_seconds_and_backoff_bounds() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("soon"), None);
        let p = RetryPolicy::default();
        for retry in 0..10 {
            let d = p.backoff(retry);
            assert!(
                d <= p.cap && d <= p.base * 2u32.pow(retry),
                "{retry}: {d:?}"
            );
        }
    }
}
